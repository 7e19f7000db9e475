"""Typed run configuration: TOML (or CLI flags) in, resolved JSON into the run folder.

Model options are validated by the chosen family's own Config class (see models/registry.py), so this
file stays independent of any family.
"""

from __future__ import annotations

import operator
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genlab.errors import UserError

# A seed a user gives (the CLI's --seed, the studio's requests, a new config) is a whole number 0..2**32-1, so the
# seeds genlab derives from it (seed * 1_000_003 + epoch, a sample chunk's seed * 1000 + start) stay inside the
# 64 bits torch's generators take, which is what a seed handed to a generator is checked against (GENERATOR_MAX).
MAX_SEED = 2**32 - 1
GENERATOR_MAX = 2**64 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


def check_seed(seed: object, name: str = "seed", most: int = MAX_SEED) -> int:
    """`seed` if it is a whole number in 0..`most`, else a UserError naming it, before any work: where a user's
    seed enters (most=MAX_SEED) and where the API seeds a generator (most=GENERATOR_MAX, so seeds derived from a
    user's pass)."""
    try:
        whole = operator.index(seed)  # int or a numpy integer; not a float, a string or a bool
    except TypeError:
        whole = None
    if whole is None or isinstance(seed, bool) or not 0 <= whole <= most:
        raise UserError(f"{name} {seed!r} is not a whole number from 0 to {most}: give a seed in that range.")
    return int(whole)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Section):
    """The shared fields, and each source's load options (data/sources/): the four below by name, any other a
    source declares as an extra key (`--set data.NAME=VALUE`), refused at load time if no source takes it."""

    model_config = ConfigDict(extra="allow")
    source: str = "digits"  # a built-in name, an image folder, or a .npy/.npz file
    split_seed: int = 0  # fixes train/val/test; keep it when comparing runs
    channels: Literal[1, 3] | None = None
    size: tuple[int, int] | None = None  # (H, W) to resize user images to
    labels_per_class: int | None = Field(None, gt=0)  # semi-supervised: keep this many training labels per class
    labelled: int | None = Field(None, gt=0)  # regression: keep this many training molecules' measured properties
    tokens: Literal["smiles", "selfies"] | None = None  # molecules: atom-level SMILES tokens (default) or SELFIES
    front_end: Literal["phonemes", "characters"] | None = None  # speech: what the transcripts become (phonemes)

    def load_options(self) -> dict[str, Any]:
        """The options given for the source's loading (None: not given)."""
        return {"channels": self.channels, "size": self.size, "tokens": self.tokens, "front_end": self.front_end,
                **(self.model_extra or {})}


class ModelSection(BaseModel):
    """`name` picks the family; every other key is one of that family's options."""

    model_config = ConfigDict(extra="allow")
    name: str = "vae"

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class TrainingConfig(_Section):
    steps: int | None = Field(None, gt=0)
    epochs: int | None = Field(None, gt=0)
    minutes: float | None = Field(None, gt=0)
    # Global batch, whatever the number of processes; None: the family's default_batch_size (64 for most), at most
    # the training split (training/batches.py:default_batch_size). config.json records the number trained with.
    batch_size: int | None = Field(None, gt=0)
    accumulate: int = Field(1, gt=0)  # micro-batches per process per step (gradient accumulation)
    optimizer: Literal["adam", "adamw"] = "adamw"
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_steps: int = Field(100, ge=0)
    schedule: Literal["cosine", "constant"] = "cosine"
    grad_clip: float | None = Field(1.0, gt=0)
    ema: float | None = Field(None, gt=0, lt=1)  # decay of an exponential moving average of weights
    eval_every: int = Field(500, gt=0)
    log_every: int = Field(25, gt=0)
    device: Literal["cpu", "cuda"] = "cpu"
    precision: Literal["fp32", "bf16"] = "fp32"
    compile: bool = False  # the step through torch.compile where a compiler is at hand (training/compiled.py)


DEFAULT_STEPS = 2000


class RunConfig(_Section):
    seed: int = 0  # a saved run's, whatever it was; a new config's is checked by load_config
    data: DataConfig = DataConfig()
    model: ModelSection = ModelSection()
    training: TrainingConfig = TrainingConfig()


def _first_error(err: ValidationError, origin: str) -> UserError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return UserError(f"Config value '{where}' in {origin}: {first['msg']}.")


def load_config(path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> RunConfig:
    """Read a TOML file (optional) and apply overrides {section: {key: value}} on top; section "" holds
    top-level keys such as seed. A None value is kept (it turns an optional setting off)."""
    raw: dict[str, Any] = {}
    origin = "the command line"
    if path is not None:
        origin = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserError(f"Config file {path} does not exist: check the path.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise UserError(f"Config file {path} is not valid TOML ({err}): fix the syntax.") from None
    for section, values in (overrides or {}).items():
        (raw if section == "" else raw.setdefault(section, {})).update(values)
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as err:
        raise _first_error(err, origin) from None
    check_seed(config.seed, f"seed in {origin}")
    check_seed(config.data.split_seed, f"data.split_seed in {origin}")
    return config
