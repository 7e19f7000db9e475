"""The protocol every model family implements, so training, evaluation and apps never special-case one.

A batch is a dict: ``{"x": LongTensor (B, C, H, W) of integer levels, "y": LongTensor (B,) or absent}``.
Samples come back in the same form: integer levels in the dataset's own range.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from genlab.data.spec import DatasetSpec


class ModelConfig(BaseModel):
    """Base of every family's options; unknown keys are an error so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class LogLikelihood(NamedTuple):
    """Per-example log-likelihood in nats, and which quantity it is ("exact", "elbo", "iwae-100", ...)."""

    nats: torch.Tensor  # (B,)
    bound: str


class GenerativeModel(nn.Module, ABC):
    """A generative model of one dataset. Subclasses set `name`, `Config` and the capability flags."""

    name: ClassVar[str]
    Config: ClassVar[type[ModelConfig]] = ModelConfig
    can_sample: ClassVar[bool] = True
    has_likelihood: ClassVar[bool] = False
    is_conditional: ClassVar[bool] = False
    has_latent: ClassVar[bool] = False

    def __init__(self, spec: DatasetSpec, config: ModelConfig):
        super().__init__()
        self.spec = spec
        self.config = config

    def forward(self, batch: dict) -> dict:
        """Training goes through forward so DistributedDataParallel sees the call."""
        return self.loss(batch)

    @abstractmethod
    def loss(self, batch: dict) -> dict:
        """{"loss": scalar to minimise, plus named parts (floats or tensors) worth logging}."""

    @abstractmethod
    def sample(self, n: int, condition: torch.Tensor | None = None) -> torch.Tensor:
        """n new examples (n, C, H, W) as integer levels."""

    def log_prob(self, x: torch.Tensor, condition: torch.Tensor | None = None, **options) -> LogLikelihood:
        """Log-likelihood of discrete data x in nats per example (exact or a stated lower bound)."""
        raise NotImplementedError(f"{self.name} declares no likelihood")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no latent space")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no latent space")

    def capabilities(self) -> dict[str, bool]:
        return {
            "can_sample": self.can_sample,
            "has_likelihood": self.has_likelihood,
            "is_conditional": self.is_conditional,
            "has_latent": self.has_latent,
        }

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def to_unit_range(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Integer levels 0..levels-1 -> floats in [-1, 1], the scale networks see."""
    return x.float() * (2.0 / (levels - 1)) - 1.0
