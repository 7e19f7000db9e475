"""Images: the image and video built-ins (a procedural one drawn at another size by --size), and folders of
image files (converted by --channels, resized by --size)."""

from __future__ import annotations

from pathlib import Path

from genlab.data.builtin import BUILTINS, Builtin
from genlab.data.image_files import image_files
from genlab.data.image_folders import load_image_folder
from genlab.data.sources import Source
from genlab.data.spec import Dataset, DatasetSpec
from genlab.errors import UserError


def check_fixed_shape(spec: DatasetSpec, channels: int | None, size: tuple[int, int] | None, source: str) -> None:
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


class BuiltinImages(Source):
    holds = "images"
    options = ("channels", "size")

    def recognises(self, name: str) -> bool:
        return name in BUILTINS

    def load(self, name: str, split_seed: int, channels: int | None = None,
             size: tuple[int, int] | None = None) -> Dataset:
        entry = BUILTINS[name]
        if size is not None and entry.at_size is not None and tuple(size) != entry.spec.shape[1:]:
            entry = _drawn_at(entry, size)
        check_fixed_shape(entry.spec, channels, size, name)
        return entry.load(split_seed)


class ImageFolder(Source):
    holds = "images"
    options = ("channels", "size")

    def recognises(self, name: str) -> bool:
        return Path(name).is_dir()

    def load(self, name: str, split_seed: int, channels: int | None = None,
             size: tuple[int, int] | None = None) -> Dataset:
        _refuse_recordings_without_metadata(Path(name))
        return load_image_folder(Path(name), split_seed=split_seed, channels=channels, size=size)


def _refuse_recordings_without_metadata(folder: Path) -> None:
    """A folder of recordings and no loose images lacks only its metadata.csv (with it, it is speech): say what a
    speech corpus needs rather than that it holds no images."""
    from genlab.data.speech import holds_recordings

    try:
        recordings = holds_recordings(folder) and not image_files(folder)
    except OSError:  # an unreadable folder: the image loader names it
        return
    if recordings:
        raise UserError(f"{folder} holds recordings but no metadata.csv: a speech corpus is an LJSpeech folder, "
                        "metadata.csv with one id|text line per recording and its audio at wavs/ID.wav; write "
                        "metadata.csv there.")
