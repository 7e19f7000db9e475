"""Training a run folder from a config: the one entry point the CLI, the API, evaluation's feature
classifier and the benchmarks call. It resolves the data and the model, writes config.json, and hands the
loop to the Trainer; a run that never reached its first checkpoint leaves nothing behind."""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

import torch

import genlab
from genlab.config import ModelSection, RunConfig, TrainingConfig
from genlab.data import BUILTINS, load_data
from genlab.data.labels import HIDDEN, balance_labelled, labelled_only
from genlab.data.spec import Dataset, Split
from genlab.errors import UserError
from genlab.models.base import GenerativeModel
from genlab.models.loading import resolve_device
from genlab.models.registry import build_model, build_options, options_for_data, saved_options, training_for_data
from genlab.runs import FORMAT_VERSION, ModelInfo, RunFolder, RunInfo
from genlab.training.batches import default_batch_size
from genlab.training.distributed import World, close_world, init_world
from genlab.training.trainer import Trainer, TrainResult, seed_everything

BUDGET_KEYS = ("steps", "epochs", "minutes")


def training_split(model: GenerativeModel, train: Split) -> Split:
    """What a model trains on when some labels are hidden: a semi-supervised model sees everything (labelled
    examples repeated to half of it), a classifier or conditional model only the labelled examples, and an
    unconditional generative model all examples (it ignores labels); a predictor only the examples whose
    property was measured (its own training_examples); and only the examples the model itself can learn from
    (model.training_examples)."""
    train, _ = model.training_examples(train)
    if train.y is None or not (train.y == HIDDEN).any():
        return train
    if model.semi_supervised:
        return balance_labelled(train)
    if model.can_classify or model.is_conditional:
        return labelled_only(train)
    return train


def _resolved(config: RunConfig) -> RunConfig:
    """The config as config.json records it: every model option filled in by its family, a user data path
    made absolute (so the run opens from any folder)."""
    resolved = config.model_copy(deep=True)
    resolved.model = type(config.model)(name=config.model.name, **build_options(config.model.name, config.model.options))
    if Path(config.data.source).exists() and config.data.source not in BUILTINS:
        resolved.data.source = str(Path(config.data.source).resolve())
    return resolved


def _run_info(config: RunConfig, model: GenerativeModel, data: Dataset, world_size: int, created_by: str) -> RunInfo:
    return RunInfo(
        format=FORMAT_VERSION, config=_resolved(config), dataset=data.spec.to_dict(),
        model=ModelInfo(name=model.name, parameters=sum(p.numel() for p in model.parameters()),
                        capabilities=model.capabilities()),
        world_size=world_size, created_by=created_by,
        versions={"genlab": genlab.__version__, "torch": torch.__version__, "python": platform.python_version()},
    )


def _without_budget(config: RunConfig) -> dict:
    dump = _resolved(config).model_dump(mode="json")
    dump["training"] = {k: v for k, v in dump["training"].items() if k not in BUDGET_KEYS}
    return dump


def _with_batch_size(config: RunConfig, batch_size: int) -> RunConfig:
    """A copy of `config` training with `batch_size` (the caller's config is left as it was given)."""
    return config.model_copy(update={"training": config.training.model_copy(update={"batch_size": batch_size})})


def _config_to_resume(folder: RunFolder, config: RunConfig | None, budget: dict | None) -> tuple[RunConfig, str]:
    """The saved config of the run being resumed, with a new budget if one is given. A config passed in must
    be the run's own (budget aside): resuming never silently trains something else."""
    if not folder.holds_run():
        raise UserError(f"{folder.path} holds no run to resume: check --out, or train a new run without --resume.")
    info = folder.read_info()
    saved = info.config
    saved.model = ModelSection(name=saved.model.name, **saved_options(saved.model.name, saved.model.options))
    if config is not None:
        if config.training.batch_size is None:  # left to the family's default, which the run resolved and saved
            config = _with_batch_size(config, saved.training.batch_size)
        if _without_budget(config) != _without_budget(saved):
            raise UserError(f"The config passed differs from the one {folder.path} was trained with: resume with "
                            "config=None (only the budget: steps, epochs or minutes may change), or train a new run.")
        budget = (budget or {}) | {k: getattr(config.training, k) for k in BUDGET_KEYS if getattr(config.training, k)}
    if budget and any(budget.get(k) is not None for k in BUDGET_KEYS):
        fields = saved.training.model_dump() | {k: budget.get(k) for k in BUDGET_KEYS}
        saved.training = TrainingConfig.model_validate(fields)
    return saved, info.created_by


def make_trainer(config: RunConfig, out: Path, world: World, *, quiet: bool = False, fresh: bool = True) -> Trainer:
    """The Trainer of `config` writing to run folder `out`: data loaded (its notes printed), the model built on
    the seed and, for a fresh run, initialised from the training data; the training split the model learns
    from; the family's default batch size where the config names none. `genlab train` and `bench speed` use it."""
    device = resolve_device(config.training.device, world.rank)
    data = load_data(config.data, config.seed)
    for note in data.spec.notes:  # what became of the user's data: shown even when progress is quiet
        if world.is_main:
            print(f"note: {note}")
    seed_everything(config.seed)
    model = build_model(config.model.name, data.spec, config.model.options).to(device)
    if fresh:
        model.initialise(data.train)
    data.train, left_out = model.training_examples(data.train)
    if left_out and world.is_main:
        print(f"note: {left_out}")
    data.train = training_split(model, data.train)
    if config.training.batch_size is None:  # none given: the family's default, within the training split
        batch, note = default_batch_size(model.default_batch_size, len(data.train),
                                         world.size * config.training.accumulate)
        config = _with_batch_size(config, batch)
        if note and world.is_main:
            print(f"note: {note}")
    return Trainer(config, data, model, out, world, device, quiet=quiet)


def train(config: RunConfig | None, out: Path, *, resume: bool = False, budget: dict | None = None,
          quiet: bool = False, stop_at_step: int | None = None, created_by: str = "train") -> TrainResult:
    """Train a model into run folder `out`, or continue it with resume=True (config None or the run's own;
    `budget` may extend steps, epochs or minutes)."""
    folder = RunFolder(out)
    if resume:
        config, created_by = _config_to_resume(folder, config, budget)
    elif config is None:
        raise UserError("train needs a config for a new run (or resume=True to continue one).")
    elif folder.holds_run() or folder.has_weights():
        raise UserError(f"{folder.path} already holds a run: pass --resume to continue it, or choose another --out.")
    else:  # a new run takes its family's choices for a built-in dataset where it sets none
        name, source, training = config.model.name, config.data.source, config.training
        config = config.model_copy(update={
            "model": ModelSection(name=name, **options_for_data(name, source, config.model.options)),
            "training": training.model_copy(update=training_for_data(name, source, training.model_fields_set))})
    if folder.path.exists() and not folder.path.is_dir():
        raise UserError(f"--out {folder.path} is a file, not a folder: choose another --out.")
    fresh_folder = not folder.path.exists()
    world = init_world(config.training.device)
    try:
        trainer = make_trainer(config, folder.path, world, quiet=quiet, fresh=not resume)
        if resume:
            trainer.resume()
        if world.is_main:
            folder.write_info(_run_info(trainer.cfg, trainer.model, trainer.data, world.size, created_by))
        world.barrier()
        result = trainer.run(stop_at_step)
        world.barrier()  # rank 0 validates and reports alone: every rank leaves the group together
        return result
    except BaseException:
        # A run that never reached its first checkpoint is no run: leave nothing behind.
        if world.is_main and fresh_folder and not folder.has_weights():
            shutil.rmtree(folder.path, ignore_errors=True)
        raise
    finally:
        close_world(world)
