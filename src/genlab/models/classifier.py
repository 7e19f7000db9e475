"""The discriminative model beside the generative ones: p(label | x), nothing about how x came to be.

It cannot sample and assigns no likelihood to images, only to labels; `genlab evaluate` reports its test
accuracy. Its penultimate layer (global-average-pooled features) is also the feature space in which
genlab measures sample quality (FD, KID, precision/recall, density/coverage): a network trained on the
same dataset, offline, instead of an ImageNet Inception that would have to be downloaded and has never
seen 8x8 digits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.labels import HIDDEN
from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, ModelConfig, to_unit_range
from genlab.models.layers import ResBlock, downsampled_sizes, pyramid_widths


class ClassifierConfig(ModelConfig):
    channels: int = Field(32, gt=0)  # width at full resolution; doubles once per downsampling, capped at 4x
    blocks: int = Field(1, ge=0)  # residual blocks per resolution
    dropout: float = Field(0.1, ge=0, lt=1)
    label_smoothing: float = Field(0.0, ge=0, lt=1)


class Classifier(GenerativeModel):
    """A residual CNN: stride-2 pyramid, global average pooling, a linear layer to class logits."""

    name = "classifier"
    Config = ClassifierConfig
    can_sample = False
    can_classify = True
    needs_labels = True

    def __init__(self, spec: DatasetSpec, config: ClassifierConfig):
        super().__init__(spec, config)
        c = spec.shape[0]
        sizes = downsampled_sizes(*spec.shape[1:])
        widths = pyramid_widths(config.channels, len(sizes))
        layers: list[nn.Module] = [nn.Conv2d(c, widths[0], 3, padding=1)]
        for i in range(len(sizes)):
            layers += [ResBlock(widths[i], config.dropout) for _ in range(config.blocks)]
            if i + 1 < len(sizes):
                layers.append(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1))
        layers += [nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.to_logits = nn.Linear(widths[-1], spec.num_classes)
        self.feature_dim = widths[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features (B, D) of integer-level images x (B, C, H, W)."""
        return self.body(to_unit_range(x, self.spec.levels))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_logits(self.features(x))  # (B, K)

    def loss(self, batch: dict) -> dict:
        y = batch.get("y")
        if y is None:
            raise ValueError("a classifier needs labels")
        known = y != HIDDEN
        logits = self.classify(batch["x"][known])  # (B', K)
        ce = F.cross_entropy(logits, y[known], label_smoothing=self.config.label_smoothing)
        accuracy = (logits.argmax(1) == y[known]).float().mean()
        return {"loss": ce, "accuracy": accuracy.detach()}

    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        raise NotImplementedError("a classifier does not generate images")
