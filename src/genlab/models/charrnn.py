"""CharRNN: an LSTM language model over a molecule's tokens, the MOSES baseline (Segler et al. 2018).

p(molecule) = prod_t p(token_t | tokens before it), from <bos> to <eos>; the likelihood is exact, in nats
per molecule (bits per token: divided by the molecule's tokens and ln 2). Sampling draws token after token
until <eos> (or the dataset's length), at a temperature. MOSES trains 3 layers of 768 units; the defaults
here, 2 layers of 256, train on a CPU in minutes (`--set model.hidden=768 --set model.layers=3` for theirs).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.smiles_tokens import PAD
from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig
from genlab.models.token_parts import generate


class CharRNNConfig(ModelConfig):
    embedding: int = Field(64, gt=0)
    hidden: int = Field(256, gt=0)
    layers: int = Field(2, gt=0)
    dropout: float = Field(0.2, ge=0, lt=1)


class CharRNN(GenerativeModel):
    """Embedding -> LSTM -> logits over the vocabulary, trained by next-token cross-entropy."""

    name = "charrnn"
    Config = CharRNNConfig
    modalities = ("tokens",)
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: CharRNNConfig):
        super().__init__(spec, config)
        self.embed = nn.Embedding(spec.levels, config.embedding, padding_idx=PAD)
        self.lstm = nn.LSTM(config.embedding, config.hidden, config.layers, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        self.to_logits = nn.Linear(config.hidden, spec.levels)

    def _logits(self, ids: torch.Tensor, state=None) -> tuple[torch.Tensor, tuple]:
        """Next-token logits (B, T, V) after each of ids (B, T), and the LSTM's state after them."""
        h, state = self.lstm(self.embed(ids), state)  # (B, T, H)
        return self.to_logits(self.dropout(h)), state

    def _token_nats(self, x: torch.Tensor) -> torch.Tensor:
        """-log p of each next token (B, L-1), 0 at the padding after <eos>."""
        x = x.long()
        logits, _ = self._logits(x[:, :-1])  # predicts x[:, 1:]
        target = x[:, 1:]
        nats = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")  # (B, L-1)
        return nats * (target != PAD)

    def loss(self, batch: dict) -> dict:
        x = batch["x"]
        nats = self._token_nats(x)  # (B, L-1)
        tokens = (x[:, 1:] != PAD).sum()  # the molecules' tokens and their <eos>
        per_token = nats.sum() / tokens
        return {"loss": per_token, "bits_per_token": (per_token / math.log(2)).detach(),
                "nats_per_molecule": (nats.sum(1).mean()).detach()}

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition=None, **options) -> LogLikelihood:
        """log p(molecule) in nats (B,): exact, every token through <eos>."""
        return LogLikelihood(-self._token_nats(x).sum(1), "exact")

    def sample(self, n: int, condition=None, temperature: float = 1.0) -> torch.Tensor:
        """n molecules (n, L) of token ids: <bos>, tokens drawn at `temperature` until <eos>, then <pad>."""
        return generate(self._logits, None, n, self.spec.shape[0], self.device, temperature)
