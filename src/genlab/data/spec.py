"""What every data source hands to models and evaluation: a spec saying what one example is, and fixed
train / val / test splits of examples (plus any named per-example arrays beside them).

The spec says the examples' *modality* and their *shape* in general terms, so nothing downstream has to
assume images:

    modality  what one example is; its shape's axes          levels means           today
    "image"   (C, H, W)                                       grey levels per pixel  yes
    "video"   (T, C, H, W) frames                             grey levels per pixel  yes
    "tokens"  (L,) a token sequence                           vocabulary size        yes
    "audio"   (S,) mono samples at `rate` per second          quantisation levels    yes

`dims` is the product of the shape (the denominator of bits/dim), whatever the modality. Anything an
example carries beyond `x` and its class label `y` is a named *extra*: an `ExtraSpec` in `spec.extras`
and an array of the same name in every `Split.extras`, first axis one entry per example. That is how the
next datasets fit without new fields: paired low/high resolution images are images with an extra
"low_res" (C, h, w); speech is audio (at the spec's `rate`) with an extra "text" of symbol ids (the
extra's own `vocabulary`) and one "samples" (each waveform's length); per-example factors are an
extra "factors" (K,) with factor names; object masks an extra "masks" (H, W), each pixel's object (0 the
background; levels = objects + 1). A token sequence's vocabulary (the strings behind the ids) and the
tokenizer that made them ("smiles", "selfies") are two optional fields. Images, video, token sequences and
audio are implemented; an unknown modality is refused by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genlab.errors import UserError

# modality -> the names of its example axes; add a line (and a loader) for a new modality.
MODALITIES: dict[str, tuple[str, ...]] = {
    "image": ("channel", "height", "width"),
    "video": ("frame", "channel", "height", "width"),  # clips of T frames (moving-mnist)
    "tokens": ("position",),  # ids 0..levels-1 over `vocabulary`, <bos> first, <eos> then <pad> (molecules)
    "audio": ("sample",),  # mono waveforms at `rate`, uint16 offset-binary levels, zero-padded (speech)
}
RESERVED_NAMES = frozenset({"x", "y"})  # batch keys of the example itself and its label


def _shape(value: Sequence[int], what: str) -> tuple[int, ...]:
    shape = tuple(int(d) for d in value)
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"{what} shape {tuple(value)} must be one or more positive sizes")
    return shape


def _check_modality(modality: str, shape: tuple[int, ...]) -> None:
    if modality not in MODALITIES:
        raise UserError(f"Unknown data modality '{modality}': this genlab knows {', '.join(MODALITIES)}; "
                        "upgrade genlab to read data or runs of that kind.")
    axes = MODALITIES[modality]
    if len(shape) != len(axes):
        raise ValueError(f"{modality} examples have shape ({', '.join(axes)}), not {shape}")


@dataclass(frozen=True)
class ExtraSpec:
    """A named per-example array carried beside x: a condition (a low-resolution image, text) or an
    annotation (factors, masks). `shape` is one example's; `levels` counts its integer values if discrete;
    `names` labels its entries where that means something (factor names), and `sizes` counts the values
    each entry takes when they differ (a factor grid: dSprites' shape 3, scale 6, ...)."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "uint8"
    levels: int | None = None
    modality: str | None = None  # when the extra is itself data of a modality (a low-res image, text tokens)
    names: tuple[str, ...] | None = None
    sizes: tuple[int, ...] | None = None
    vocabulary: tuple[str, ...] | None = None  # token extras: the string behind each id (a transcript's symbols)

    def __post_init__(self) -> None:
        if self.name in RESERVED_NAMES or not self.name.isidentifier():
            raise ValueError(f"extra name {self.name!r} must be an identifier other than x and y")
        object.__setattr__(self, "shape", _shape(self.shape, f"extra '{self.name}'"))
        object.__setattr__(self, "dtype", np.dtype(self.dtype).name)
        if self.names is not None:
            object.__setattr__(self, "names", tuple(self.names))
        if self.sizes is not None:
            object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        if self.vocabulary is not None:
            object.__setattr__(self, "vocabulary", tuple(self.vocabulary))
        if self.modality is not None:
            _check_modality(self.modality, self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype, "levels": self.levels,
                "modality": self.modality, "names": list(self.names) if self.names is not None else None,
                "sizes": list(self.sizes) if self.sizes is not None else None} | \
            ({} if self.vocabulary is None else {"vocabulary": list(self.vocabulary)})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ExtraSpec:
        names, sizes, vocabulary = d.get("names"), d.get("sizes"), d.get("vocabulary")
        return cls(d["name"], tuple(d["shape"]), d.get("dtype", "uint8"), d.get("levels"), d.get("modality"),
                   None if names is None else tuple(names), None if sizes is None else tuple(sizes),
                   None if vocabulary is None else tuple(vocabulary))


@dataclass(frozen=True)
class DatasetSpec:
    """Modality, shape and meaning of one dataset's examples.

    Examples are integer levels 0..levels-1 of shape `shape`, whose axes the modality names (images:
    (C, H, W)). `num_classes` is None for unlabelled data. `notes` are things the loader decided for the
    user (channel choice, quantisation, the disk cache) and that the CLI prints once; they are not part of
    the stored spec. `extras` describe the named per-example arrays the splits carry beside x and y.
    The first five fields keep their order: `DatasetSpec(name, shape, levels, num_classes, class_names)`.
    """

    name: str
    shape: tuple[int, ...]  # one example; images (C, H, W)
    levels: int
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    modality: str = "image"
    extras: tuple[ExtraSpec, ...] = ()
    vocabulary: tuple[str, ...] | None = None  # tokens: the string behind each id
    tokenizer: str | None = None  # tokens: what made them from the raw data ("smiles", "selfies")
    rate: int | None = None  # audio: samples per second

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _shape(self.shape, self.modality))
        _check_modality(self.modality, self.shape)
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "extras", tuple(self.extras))
        if self.vocabulary is not None:
            object.__setattr__(self, "vocabulary", tuple(self.vocabulary))
            if len(self.vocabulary) != self.levels:
                raise ValueError(f"a vocabulary of {len(self.vocabulary)} tokens for {self.levels} levels")
        names = [e.name for e in self.extras]
        if len(set(names)) != len(names):
            raise ValueError(f"extra names {names} must be distinct")

    @property
    def dims(self) -> int:
        """Number of dimensions per example (the product of the shape): the denominator of bits/dim."""
        return math.prod(self.shape)

    @property
    def unit(self) -> str:
        """What a likelihood is counted per: "token" for token sequences (their length varies), else "dim"."""
        return "token" if self.modality == "tokens" else "dim"

    def units_per_example(self, x: np.ndarray) -> float:
        """The denominator of bits per unit for examples x: `dims`, or for token sequences the mean number of
        tokens each holds after <bos> up to and with <eos> (<pad>, id 0, not counted)."""
        if self.modality == "tokens":
            return float((np.asarray(x)[:, 1:] != 0).sum(1).mean())
        return float(self.dims)

    @property
    def axes(self) -> tuple[str, ...]:
        """The names of the shape's axes for this modality, e.g. ("channel", "height", "width")."""
        return MODALITIES[self.modality]

    def extra(self, name: str) -> ExtraSpec:
        for e in self.extras:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The spec as stored in a run's config.json (notes left out; extras only when there are some)."""
        d: dict[str, Any] = {
            "name": self.name,
            "modality": self.modality,
            "shape": list(self.shape),
            "levels": self.levels,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names) if self.class_names else None,
        }
        if self.extras:
            d["extras"] = [e.to_dict() for e in self.extras]
        if self.vocabulary is not None:
            d["vocabulary"], d["tokenizer"] = list(self.vocabulary), self.tokenizer
        if self.rate is not None:
            d["rate"] = self.rate
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], notes: Sequence[str] = ()) -> DatasetSpec:
        """A spec from `to_dict()`, or from the dict run folders stored before modalities existed
        (name, shape, levels, num_classes, class_names: images). A malformed dict raises KeyError,
        TypeError or ValueError; an unknown modality a UserError naming it."""
        class_names = d.get("class_names")
        return cls(
            name=d["name"],
            shape=tuple(d["shape"]),
            levels=int(d["levels"]),
            num_classes=d.get("num_classes"),
            class_names=tuple(class_names) if class_names else None,
            notes=tuple(notes),
            modality=d.get("modality", "image"),
            extras=tuple(ExtraSpec.from_dict(e) for e in d.get("extras") or ()),
            vocabulary=tuple(d["vocabulary"]) if d.get("vocabulary") is not None else None,
            tokenizer=d.get("tokenizer"),
            rate=d.get("rate"),
        )


@dataclass
class Split:
    """One split: x (N, *spec.shape) uint8 levels, y (N,) int64 labels or None, and named per-example
    arrays `extras` (each (N, ...)), which every operation on splits carries along row for row.

    x may be a read-only np.memmap (an image folder too large for memory, see cache.py): code that
    needs rows reads them with `take` or indexing, never copies the whole array."""

    x: np.ndarray
    y: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.extras = dict(self.extras)
        n = len(self.x)
        if self.y is not None and len(self.y) != n:
            raise ValueError(f"labels have {len(self.y)} rows for {n} examples")
        for name, array in self.extras.items():
            if name in RESERVED_NAMES:
                raise ValueError(f"extra name {name!r} is reserved for the example and its label")
            if len(array) != n:
                raise ValueError(f"extra '{name}' has {len(array)} rows for {n} examples")

    def __len__(self) -> int:
        return len(self.x)

    def take(self, index: Any) -> Split:
        """The rows `index` (an index array, boolean mask or slice) of x, y and every extra."""
        return Split(self.x[index], None if self.y is None else self.y[index],
                     {name: a[index] for name, a in self.extras.items()})

    def with_labels(self, y: np.ndarray | None) -> Split:
        """The same examples and extras (shared, not copied) with other labels."""
        return Split(self.x, y, self.extras)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every per-example array by its batch name: x, y (if labelled) and the extras."""
        out = {"x": self.x}
        if self.y is not None:
            out["y"] = self.y
        return out | self.extras


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
