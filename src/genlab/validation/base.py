"""What a validator is: it says which models it applies to (from their capabilities) and returns the figures
it measured on the validation split, writing the preview where it draws one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from genlab.data.spec import DatasetSpec, Split
from genlab.models.base import GenerativeModel

VAL_LIMIT = 1000  # validation examples scored at each evaluation


@dataclass(frozen=True)
class Context:
    """One evaluation during training: the data's spec, the run's seed, where the preview goes (without a
    suffix: the modality's writer adds it), the batch size and the device."""

    spec: DatasetSpec
    seed: int
    preview: Path
    batch_size: int
    device: torch.device


class Validator(ABC):
    name: ClassVar[str]
    fallback: ClassVar[bool] = False  # runs only when no validator before it recorded a figure

    @abstractmethod
    def applies(self, model: GenerativeModel) -> bool:
        """Whether this validator measures `model`, from its capabilities."""

    @abstractmethod
    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        """The figures measured on `val` as {"val_<name>": float, ...} (may be empty when it only draws)."""

    def describe(self, record: dict) -> str | None:
        """Its figures in a validation record as one line of words, or None when they are not there (or it
        says nothing at the end of training)."""
        return None
