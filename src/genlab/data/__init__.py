"""Datasets: one entry point, `load_dataset`, for built-ins, image folders and .npy/.npz files, and
`load_data` for a run's [data] config.

Every source yields a `Dataset`: a `DatasetSpec` (modality, shape, levels, labels, named extras; images
today, (C, H, W) uint8 levels) and fixed train / val / test splits chosen by `split_seed`, each a `Split`
of x, y and named per-example extras. An image folder too large for memory is decoded once into a
memory-mapped cache under $GENLAB_CACHE (else ~/.cache/genlab) and its splits read from it; set
GENLAB_FORCE_CACHE=1 to always do so, 0 never, or GENLAB_MEMORY_BUDGET=<bytes> to set the size above
which it happens (see cache.py). No torch here: listing or validating data must not pay for importing it.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from genlab.config import DataConfig
from genlab.errors import UserError

from .builtin import BUILTINS, Builtin, MoleculeBuiltin, SpeechBuiltin
from .frames import PREFIX as FRAMES_PREFIX
from .frames import frames_of
from .tracks import PREFIX as TRACKS_PREFIX
from .tracks import tracks_of
from .folders import ARRAY_SUFFIXES, image_files, load_array_file, load_image_folder
from .labels import hide_labels, hide_properties
from .molecules import MOLECULE_SUFFIXES, TOKENIZERS, molecule_file_dataset, parse_count
from .spec import MODALITIES, Dataset, DatasetSpec, ExtraSpec, Split

__all__ = ["BUILTINS", "MODALITIES", "Builtin", "Dataset", "DatasetSpec", "ExtraSpec", "Split", "list_builtins",
           "load_data", "load_dataset"]


def list_builtins() -> list[DatasetSpec]:
    """Specs of the built-in datasets, without loading any data."""
    return [entry.spec for entry in BUILTINS.values()]


def _looks_like_path(name: str) -> bool:
    """A source meant as a path (a separator or a data-file suffix), so 'not found' beats 'unknown name'."""
    return os.sep in name or "/" in name or Path(name).suffix.lower() in ARRAY_SUFFIXES


def _is_int(value: object) -> bool:
    """True for Python and NumPy integers, not for bools (a CLI or notebook may pass either kind)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_options(split_seed: int, channels: int | None, size: tuple[int, int] | None) -> None:
    """Reject bad option values up front, before any data is read."""
    if not _is_int(split_seed) or split_seed < 0:
        raise UserError(f"Invalid split seed {split_seed!r}: use a non-negative integer.")
    if channels is not None and (not _is_int(channels) or channels not in (1, 3)):
        raise UserError(f"Invalid channels {channels!r}: use 1 (grayscale) or 3 (RGB).")
    if size is not None and (
        not isinstance(size, (tuple, list)) or len(size) != 2 or not all(_is_int(d) and d > 0 for d in size)
    ):
        raise UserError(f"Invalid size {size!r}: use two positive integers (height, width), e.g. --size 32x32.")


def _check_fixed_shape(spec: DatasetSpec, channels: int | None, size: tuple[int, int] | None, source: str) -> None:
    """Built-ins and arrays keep their stored shape: --channels/--size may only restate it."""
    c, h, w = spec.shape[-3:]  # images (C, H, W); video frames (T, C, H, W)
    if channels is not None and channels != c:
        raise UserError(f"{source} has {c} channel(s), not {channels}: --channels only converts image folders.")
    if size is not None and tuple(size) != (h, w):
        raise UserError(f"{source} images are {h}x{w}, not {size[0]}x{size[1]}: --size only resizes image folders.")


def _drawn_at(entry: Builtin, size: tuple[int, int]) -> Builtin:
    """A procedural built-in drawn at `size` (square, one of the sizes it offers)."""
    offered = entry.drawn_sizes
    if size[0] != size[1] or size[0] not in offered:
        raise UserError(f"{entry.spec.name} is drawn at {' or '.join(map(str, offered))} pixels square, not "
                        f"{size[0]}x{size[1]}: use --size {offered[-1]} or leave --size out ({offered[0]}).")
    return entry.at_size(size[0])


def load_dataset(
    source: str | os.PathLike[str],
    *,
    split_seed: int = 0,
    channels: int | None = None,
    size: tuple[int, int] | None = None,
    tokens: str | None = None,
    front_end: str | None = None,
) -> Dataset:
    """Load a built-in by name, or an image folder / .npy / .npz file or a molecule .csv / .smi file by path,
    split by `split_seed`.

    `channels` (1 or 3) and `size` (H, W) convert and resize image folders; `tokens` ("smiles" atoms, the
    default, or "selfies") tokenises molecules; `front_end` ("phonemes", the default, or "characters") turns
    speech transcripts into symbols; a built-in name wins over a folder of the same name (write ./name for
    the folder). A folder holding metadata.csv is speech in the LJSpeech layout.
    """
    _check_options(split_seed, channels, size)
    split_seed = int(split_seed)
    channels = None if channels is None else int(channels)
    size = None if size is None else (int(size[0]), int(size[1]))
    name = os.fspath(source)
    if name.startswith(FRAMES_PREFIX):
        return frames_of(load_dataset(name[len(FRAMES_PREFIX):], split_seed=split_seed, channels=channels, size=size))
    if name.startswith(TRACKS_PREFIX):
        return tracks_of(load_dataset(name[len(TRACKS_PREFIX):], split_seed=split_seed, channels=channels, size=size))
    if tokens is not None and tokens not in TOKENIZERS:
        raise UserError(f"Invalid tokens {tokens!r}: use one of {', '.join(TOKENIZERS)}.")
    base = name.split(":")[0]
    molecule_source = isinstance(BUILTINS.get(base), MoleculeBuiltin) or Path(name).suffix.lower() in MOLECULE_SUFFIXES
    if molecule_source:
        if channels is not None or size is not None:
            raise UserError(f"{name} holds molecules: --channels and --size are for images; drop them.")
        if Path(name).suffix.lower() in MOLECULE_SUFFIXES:
            return molecule_file_dataset(name, tokens or "smiles", split_seed)
        entry = BUILTINS[base]
        if ":" in name:
            entry = entry.subset(parse_count(name.split(":", 1)[1]))
        return entry.load(split_seed, tokens)
    if tokens is not None:
        raise UserError(f"{name} holds images: --set data.tokens is for molecules (moses, a .csv or .smi); drop it.")
    speech_source = isinstance(BUILTINS.get(name), SpeechBuiltin) or (Path(name) / "metadata.csv").is_file()
    if speech_source:
        if channels is not None or size is not None:
            raise UserError(f"{name} holds speech: --channels and --size are for images; drop them.")
        if name in BUILTINS:
            return BUILTINS[name].load(split_seed, front_end)
        from .speech import read_ljspeech
        from .utterances import speech_dataset

        return speech_dataset(Path(name).name, read_ljspeech(name), front_end=front_end or "phonemes",
                              split_seed=split_seed)
    if front_end is not None:
        raise UserError(f"{name} holds no speech: --set data.front_end is for recordings with transcripts; drop it.")
    if name in BUILTINS:
        entry = BUILTINS[name]
        if size is not None and entry.at_size is not None and tuple(size) != entry.spec.shape[1:]:
            entry = _drawn_at(entry, size)
        _check_fixed_shape(entry.spec, channels, size, name)
        return entry.load(split_seed)
    path = Path(name)
    if path.is_dir():
        _refuse_recordings_without_metadata(path)
        return load_image_folder(path, split_seed=split_seed, channels=channels, size=size)
    if path.is_file():
        if path.suffix.lower() not in ARRAY_SUFFIXES:
            raise UserError(f"Cannot load {name}: a dataset file must be .npy or .npz, or molecules in .csv or .smi "
                        "(or pass an image folder).")
        dataset = load_array_file(path, split_seed=split_seed)
        _check_fixed_shape(dataset.spec, channels, size, name)
        return dataset
    builtins = ", ".join(BUILTINS)
    if _looks_like_path(name):
        raise UserError(f"No file or folder at '{name}': check the path, or use one of {builtins}.")
    raise UserError(
        f"Unknown dataset '{name}': use one of {builtins}, or a path to an image folder, a .npy/.npz file (images or "
        "clips), molecules (.csv/.smi) or recordings (a folder with metadata.csv)."
    )


def _refuse_recordings_without_metadata(folder: Path) -> None:
    """A folder of recordings and no loose images lacks only its metadata.csv (with it, it is speech): say what a
    speech corpus needs rather than that it holds no images."""
    from .speech import holds_recordings

    try:
        recordings = holds_recordings(folder) and not image_files(folder)
    except OSError:  # an unreadable folder: the image loader names it
        return
    if recordings:
        raise UserError(f"{folder} holds recordings but no metadata.csv: a speech corpus is an LJSpeech folder, "
                        "metadata.csv with one id|text line per recording and its audio at wavs/ID.wav; write "
                        "metadata.csv there.")


def load_data(data: DataConfig, seed: int = 0) -> Dataset:
    """The dataset a run's [data] config names; with labels_per_class, the training labels beyond that many per
    class (chosen by `seed`) are hidden as -1."""
    dataset = load_dataset(data.source, split_seed=data.split_seed, channels=data.channels, size=data.size,
                           tokens=data.tokens, front_end=data.front_end)
    if data.labels_per_class:
        dataset.train = hide_labels(dataset.train, data.labels_per_class, seed)
    if data.labelled:
        dataset.train = hide_properties(dataset.train, data.labelled, seed)
    return dataset
