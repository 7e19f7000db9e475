"""The discriminative model beside the generative ones: p(label | x), nothing about how x came to be.

It cannot sample and assigns no likelihood to images, only to labels; `genlab evaluate` reports its test
accuracy. Its penultimate layer (global-average-pooled features) is also the feature space in which
genlab measures sample quality (FD, KID, precision/recall, density/coverage): a network trained on the
same dataset, offline, instead of an ImageNet Inception that would have to be downloaded and has never
seen 8x8 digits.

On clips (video data) it sees a clip's frames stacked along the channels (T x C channels), so its first
convolution mixes frames: a small spatio-temporal network (early fusion), whose features are where genlab
compares generated clips with real ones as a whole (an FVD-like distance: FVD's I3D weights cannot be
downloaded, so never call it FVD).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.labels import HIDDEN
from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, ModelConfig, to_unit_range
from genlab.models.conv_parts import Pyramid, conv_trunk


class ClassifierConfig(ModelConfig):
    channels: int = Field(32, gt=0)  # width at full resolution; doubles once per downsampling, capped at 4x
    blocks: int = Field(1, ge=0)  # residual blocks per resolution
    dropout: float = Field(0.1, ge=0, lt=1)
    label_smoothing: float = Field(0.0, ge=0, lt=1)


class Classifier(GenerativeModel):
    """A residual CNN: the shared stride-2 pyramid (models/conv_parts.py), global average pooling, a linear
    layer to class logits. `body` is one flat Sequential ("body.N.…" in the state dict, the names feature
    classifiers cached on disk are loaded by)."""

    name = "classifier"
    Config = ClassifierConfig
    needs_labels = True
    modalities = ("image", "video")

    def __init__(self, spec: DatasetSpec, config: ClassifierConfig):
        super().__init__(spec, config)
        shape = spec.shape if spec.modality == "image" else (spec.shape[0] * spec.shape[1], *spec.shape[2:])
        pyramid = Pyramid(shape, config.channels)  # clips: their T frames of C channels as T*C channels
        self.body = nn.Sequential(*conv_trunk(pyramid, config.blocks, config.dropout),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (B, C, H, W) -> (B, widths[-1])
        self.to_logits = nn.Linear(pyramid.widths[-1], spec.num_classes)
        self.feature_dim = pyramid.widths[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features (B, D) of integer-level images x (B, C, H, W) or clips (B, T, C, H, W)."""
        return self.body(to_unit_range(x.flatten(1, -3), self.spec.levels))  # clips: (B, T*C, H, W)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (B, K) for images x (B, C, H, W) of integer levels."""
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
