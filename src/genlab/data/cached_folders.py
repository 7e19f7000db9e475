"""An image folder read through the disk cache: whether it should be, and how.

cache.py keeps the memory-mapped entries themselves (when the cache is wanted, where entries live, their
key, reading and writing them, and the GENLAB_FORCE_CACHE / GENLAB_MEMORY_BUDGET variables). This module
is the glue between that store and an image folder: it bounds the decoded folder's size from a header for
the decision, and on a miss decodes the images (image_files.py) once, in split order, into a new entry, so
every split is a read-only slice of one memmap with the same examples, labels and splits as a load held in
memory (image_folders.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import PIL

from genlab.errors import UserError

from . import cache
from .image_files import decode_image, prepare_images, probe_image
from .image_io import file_notes
from .spec import Dataset
from .splits import slice_splits, split_order, user_split_sizes
from .user_datasets import one_line, user_spec

DECODER_VERSION = 2  # bump when decode_image's pixels change (conversion, resampling): cached folders re-decode


def _decoded_bytes_at_most(files: list[Path], channels: int | None, size: tuple[int, int] | None) -> int:
    """An upper bound on the decoded folder's bytes from the first image alone (colour unless told)."""
    h, w = size if size is not None else probe_image(files[0])[1]
    return len(files) * (channels or 3) * h * w


def use_cache(files: list[Path], channels: int | None, size: tuple[int, int] | None) -> bool:
    """Whether these image files are read through the disk cache rather than held in memory (cache.wanted
    decides, from the decoded size, bounded only when it needs it)."""
    return cache.wanted(lambda: _decoded_bytes_at_most(files, channels, size))


def load_cached(
    folder: Path,
    files: list[Path],
    y: np.ndarray | None,
    class_names: list[str] | None,
    split_seed: int,
    channels: int | None,
    size: tuple[int, int] | None,
) -> Dataset:
    """The folder through the disk cache: decoded once in split order, then every split a read-only memmap
    slice. Same examples, labels and splits as the in-memory load."""
    n = len(files)
    n_test, n_val = user_split_sizes(n)
    options = {"channels": channels, "size": None if size is None else list(size), "split_seed": split_seed,
               "decoder": DECODER_VERSION, "pillow": PIL.__version__}
    entry = cache.entry_for(folder, options)
    try:
        key = cache.fingerprint(folder, files, options)
    except OSError as err:  # a file vanished or became unreadable since the listing
        raise UserError(f"Cannot read image {err.filename} ({one_line(err.strerror)}): fix or remove the file.") from err
    found = cache.read(entry, key)
    how = "read from"
    if found is None:
        chosen, shape, notes = prepare_images(folder, files, channels, size)
        order = split_order(n, n_test=n_test, n_val=n_val, seed=split_seed)
        lost: list[tuple[str, Sequence[str]]] = []

        def rows():  # decoded one at a time; what was lost joins the notes after the last (cache.write reads
            # `info` only then: the manifest is written last)
            yield from (decode_image(files[i], chosen, size, lost) for i in order)
            notes.extend(file_notes(lost))

        cache.write(entry, key, (n, *shape), rows(), None if y is None else y[order], {"notes": notes})
        found = cache.read(entry, key)
        if found is None:
            raise RuntimeError(f"the image cache {entry} just written does not read back")
        how = "decoded once into"
    x, y_cached, info = found
    train, val, test = slice_splits(x, y_cached, n_test=n_test, n_val=n_val)
    notes = [*info.get("notes", []), f"{folder} is {how} a memory-mapped cache ({entry}), not held in memory."]
    return Dataset(user_spec(folder, x.shape[1:], 256, class_names, notes), train, val, test)
