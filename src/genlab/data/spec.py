"""What every data source hands to models and evaluation: integer levels in memory, split three ways."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DatasetSpec:
    """Shape and meaning of one dataset's examples.

    Examples are images of integer levels 0..levels-1 with shape (C, H, W). `num_classes` is None for
    unlabelled data. `notes` are things the loader decided for the user (channel choice, quantisation)
    and that the CLI prints once.
    """

    name: str
    shape: tuple[int, int, int]  # (C, H, W)
    levels: int
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()

    @property
    def dims(self) -> int:
        """Number of dimensions per example (C * H * W): the denominator of bits/dim."""
        c, h, w = self.shape
        return c * h * w

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "levels": self.levels,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names) if self.class_names else None,
        }


@dataclass
class Split:
    """One split: x (N, C, H, W) uint8 levels, y (N,) int64 labels or None."""

    x: np.ndarray
    y: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class Dataset:
    """A loaded dataset: its spec and fixed train / val / test splits."""

    spec: DatasetSpec
    train: Split
    val: Split
    test: Split
    extra: dict = field(default_factory=dict)

    def split(self, name: str) -> Split:
        return {"train": self.train, "val": self.val, "test": self.test}[name]
