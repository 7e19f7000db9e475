"""Parts shared by the families of token sequences (molecules): reading a sequence with a bidirectional GRU,
and generating one token after another up to <eos>."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from genlab.data.smiles_tokens import BOS, EOS, PAD


def read_sequences(embed: nn.Embedding, gru: nn.GRU, x: torch.Tensor) -> torch.Tensor:
    """A bidirectional GRU's final states of both directions (B, 2H) over token ids x (B, L), padding skipped."""
    x = x.long()
    lengths = (x != PAD).sum(1).clamp(min=1).cpu()
    packed = nn.utils.rnn.pack_padded_sequence(embed(x), lengths, batch_first=True, enforce_sorted=False)
    _, last = gru(packed)  # (2, B, H)
    return torch.cat([last[0], last[1]], dim=1)


@torch.no_grad()
def generate(step: Callable, state, n: int, length: int, device: torch.device,
             temperature: float | None) -> torch.Tensor:
    """n sequences (n, length) of token ids: <bos>, then tokens from step(last tokens (n, 1), state) ->
    (logits (n, 1, V), state), the most likely (temperature None) or drawn at `temperature`, until <eos>
    (forced at the last position), then <pad>. Never <pad> or a second <bos> before that."""
    out = torch.full((n, length), PAD, dtype=torch.long, device=device)
    out[:, 0] = BOS
    done = torch.zeros(n, dtype=torch.bool, device=device)
    token = out[:, :1]
    for t in range(1, length):
        logits, state = step(token, state)
        logits = logits[:, -1]  # (n, V)
        logits[:, [PAD, BOS]] = float("-inf")
        if t == length - 1:  # the last position can only close the sequence
            logits[:, :] = float("-inf")
            logits[:, EOS] = 0.0
        if temperature is None:
            token = logits.argmax(-1, keepdim=True)
        else:
            token = torch.multinomial((logits / max(temperature, 1e-6)).softmax(-1), 1)  # (n, 1)
        out[:, t] = torch.where(done, torch.full_like(token[:, 0], PAD), token[:, 0])
        done |= token[:, 0] == EOS
        if done.all():
            break
    return out
