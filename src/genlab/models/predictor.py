"""A measured response predicted from a molecule's tokens: a bidirectional GRU reads the molecule, an MLP
gives the property (an assay's activity). Trained by squared error on the molecules whose property is
known (the trainer gives it only those; NaN rows in a batch are skipped too), so it learns from few
labels. The network works on the standardised property (the measured training values' mean and standard
deviation, kept as buffers), so a few steps already start from the training mean rather than from 0 on
the assay's scale.

Semi-supervised through pre-training: `--set model.features=RUN` names a smiles-vae run trained on many
unlabelled molecules (MOSES); before the first step its encoder's weights and its embeddings of the tokens
both vocabularies share are copied in (a token only this data has keeps its fresh embedding), then the
whole predictor is fine-tuned (`--set model.freeze=true` keeps the encoder fixed). The copy happens once
(`initialise`), so the run's own weights hold everything and it opens without the VAE's folder.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.labels import measured_only
from genlab.data.smiles_tokens import PAD
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel, ModelConfig
from genlab.models.token_parts import read_sequences


class PredictorConfig(ModelConfig):
    target: str | None = None  # the property to predict; None: the dataset's first
    embedding: int = Field(64, gt=0)
    encoder_hidden: int = Field(256, gt=0)  # per direction (match the smiles-vae's to start from it)
    head_hidden: int = Field(128, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)
    features: str | None = None  # a smiles-vae run whose encoder starts this one
    freeze: bool = False  # keep that encoder fixed


class Predictor(GenerativeModel):
    name = "predictor"
    Config = PredictorConfig
    modalities = ("tokens",)
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: PredictorConfig):
        super().__init__(spec, config)
        properties = next((e for e in spec.extras if e.name == "properties"), None)
        names = list(properties.names or []) if properties is not None else []
        if not names:
            raise UserError(f"Dataset {spec.name} has no measured property to predict: use molecules with a numeric "
                            "column (a .csv) or chembl-assay.")
        target = config.target or names[0]
        if target not in names:
            raise UserError(f"model.target={target} is not a property of {spec.name}: use one of {', '.join(names)}.")
        self.column = names.index(target)
        self.embed = nn.Embedding(spec.levels, config.embedding, padding_idx=PAD)
        self.encoder = nn.GRU(config.embedding, config.encoder_hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(2 * config.encoder_hidden, config.head_hidden),
                                  nn.ReLU(), nn.Linear(config.head_hidden, 1))
        self.register_buffer("target_mean", torch.zeros((), dtype=torch.float64))  # set by initialise
        self.register_buffer("target_std", torch.ones((), dtype=torch.float64))

    def training_examples(self, train):
        """Only the molecules whose response was measured: the others carry no target."""
        return measured_only(train, self.column), None

    def initialise(self, train=None) -> None:
        """Take the target's scale from the measured training molecules, and start from the smiles-vae run
        named by model.features (its encoder, and the shared tokens' rows)."""
        if train is not None:
            values = train.extras["properties"][:, self.column]
            values = values[np.isfinite(values)]
            if len(values):
                self.target_mean.fill_(float(values.mean()))
                self.target_std.fill_(float(values.std()) if len(values) > 1 and values.std() > 0 else 1.0)
        if not self.config.features:
            return
        from genlab.models.loading import load_named_run  # opens run folders, which needs the registry of families
        from genlab.models.smiles_vae import SmilesVAE

        path = self.config.features
        vae = load_named_run("model.features", path, "train a smiles-vae first (genlab train --model smiles-vae "
                             "--data moses:100k ...)").model
        if not isinstance(vae, SmilesVAE):
            raise UserError(f"model.features={path} is a {vae.name} run: the predictor starts from a smiles-vae.")
        if (vae.config.embedding, vae.config.encoder_hidden) != (self.config.embedding, self.config.encoder_hidden):
            raise UserError(f"model.features={path} has embedding {vae.config.embedding} and encoder_hidden "
                            f"{vae.config.encoder_hidden}: give the predictor the same sizes (--set model.embedding=... "
                            "--set model.encoder_hidden=...).")
        if vae.spec.tokenizer != self.spec.tokenizer:
            raise UserError(f"model.features={path} reads {vae.spec.tokenizer} tokens and this data "
                            f"{self.spec.tokenizer}: tokenise both alike (--set data.tokens=...).")
        self.encoder.load_state_dict(vae.encoder.state_dict())
        theirs = {token: i for i, token in enumerate(vae.spec.vocabulary)}
        with torch.no_grad():
            for i, token in enumerate(self.spec.vocabulary):
                if token in theirs:
                    self.embed.weight[i] = vae.embed.weight[theirs[token]]
        if self.config.freeze:
            self.embed.requires_grad_(False)
            self.encoder.requires_grad_(False)

    def _standardised(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output (B,): the property in standard deviations from the training mean."""
        return self.head(read_sequences(self.embed, self.encoder, x))[:, 0]

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted property (B,) of molecules x (B, L) of token ids, on the measurements' scale."""
        return (self.target_mean + self.target_std * self._standardised(x)).float()

    def loss(self, batch: dict) -> dict:
        target = batch["properties"][:, self.column].float()  # (B,), NaN where unmeasured
        known = torch.isfinite(target)
        if not known.any():  # a batch of unlabelled molecules teaches nothing; keep the graph whole
            return {"loss": sum(p.sum() for p in self.parameters() if p.requires_grad) * 0.0}
        scaled = ((target[known] - self.target_mean) / self.target_std).float()
        error = F.mse_loss(self._standardised(batch["x"][known]), scaled)
        return {"loss": error, "rmse": float(self.target_std) * math.sqrt(float(error.detach()))}
