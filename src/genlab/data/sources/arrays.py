"""A .npy / .npz file of images (N, [C,] H, W) or clips (N, T, [C,] H, W), with labels and extras in an .npz."""

from __future__ import annotations

from pathlib import Path

from genlab.data.array_files import ARRAY_SUFFIXES, load_array_file
from genlab.data.sources import Source
from genlab.data.sources.images import check_fixed_shape
from genlab.data.spec import Dataset
from genlab.errors import UserError


class ArrayFile(Source):
    holds = "images"
    options = ("channels", "size")

    def recognises(self, name: str) -> bool:
        return Path(name).is_file()

    def load(self, name: str, split_seed: int, channels: int | None = None,
             size: tuple[int, int] | None = None) -> Dataset:
        if Path(name).suffix.lower() not in ARRAY_SUFFIXES:
            raise UserError(f"Cannot load {name}: a dataset file must be .npy or .npz, or molecules in .csv or .smi "
                            "(or pass an image folder).")
        dataset = load_array_file(Path(name), split_seed=split_seed)
        check_fixed_shape(dataset.spec, channels, size, name)
        return dataset
