"""The one way a benchmark gets a run: train it unless a finished one is there, finish an interrupted one.

Benchmarks keep their runs in OUT/runs/<name>, so a benchmark stopped halfway (Ctrl-C, a closed laptop)
continues where it stopped when it is called again, and one rerun to rewrite a table trains nothing:

- no run in the folder (or one that never reached its first checkpoint): train `config` into it;
- a run that stopped before its own budget (steps, epochs or minutes): resume it to that budget, exactly
  as `genlab train --resume` would;
- a finished run: reuse it as it is. Its own settings are what the benchmark reports, even when `config`
  asks for others (a finished 16,000-step codec run is not retrained because --codec-steps changed), unless
  same_settings asks for a run of `config`'s settings (its budget, and every model, data and training value
  it names: a benchmark whose settings changed must not score the old run under the new settings' name), or
  retrain for a new run whatever is there.

Run folders stay on the machine that trained them; a benchmark's figures travel with its page. `kept`
stores one finished piece's result (a run's scores) beside the page with the settings it came from, so a
benchmark continued on another machine (a fresh checkout) reuses every piece already measured and trains
only the rest.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genlab.config import DataConfig, RunConfig, TrainingConfig
from genlab.errors import UserError
from genlab.files import read_json, write_json
from genlab.models.loading import Run, load_run
from genlab.models.registry import saved_options
from genlab.runs import RunFolder
from genlab.runs.weights import read_tensors
from genlab.training.run import BUDGET_KEYS, train, training_split
from genlab.training.trainer import total_steps


def _budget(training: TrainingConfig) -> tuple:
    return tuple(getattr(training, key) for key in BUDGET_KEYS)


def _same_settings(trained: RunConfig, asked: RunConfig) -> bool:
    """Whether a run trained from `trained` is one `asked` describes: the same budget, and every value
    `asked` names (not None; a model setting it leaves to the family's default is not checked, as a run
    saves its defaults resolved) the same in `trained`."""
    if _budget(trained.training) != _budget(asked.training) or trained.seed != asked.seed:
        return False
    done, wanted, missing = trained.model_dump(), asked.model_dump(), object()
    # an option added since the run was saved counts at the value it trained with (the family's BEFORE_IT_EXISTED)
    done["model"] = {"name": trained.model.name} | saved_options(trained.model.name, trained.model.options)
    return all(done[section].get(key, missing) == value
               for section in ("data", "model", "training") for key, value in wanted[section].items()
               if value is not None)


def finished(run: Run) -> bool:
    """Whether the run reached its own budget: its steps (or epochs), or its minutes of training time."""
    cfg = run.config.training
    _, meta = read_tensors(run.folder.model)  # the last checkpoint's step and training time
    steps_per_epoch = 0
    if cfg.epochs and not cfg.steps:  # only an epoch budget needs the training split's size
        steps_per_epoch = len(training_split(run.model, run.dataset().train)) // cfg.batch_size
    total = total_steps(cfg, steps_per_epoch)
    return (total is not None and run.step >= total) or \
        bool(cfg.minutes and float(meta.get("elapsed", 0.0)) >= 60 * cfg.minutes)


def finished_run(folder: Path | str, config: RunConfig) -> Run | None:
    """The finished run of `config`'s settings in `folder`, or None when there is none (nothing is trained)."""
    folder = RunFolder(folder)
    if not (folder.holds_run() and folder.has_weights()):
        return None
    run = load_run(folder.path)
    return run if _same_settings(run.config, config) and finished(run) else None


def train_or_reuse(folder: Path | str, config: RunConfig, *, retrain: bool = False,
                   same_settings: bool = False) -> Run:
    """The finished run in `folder`, trained from `config` if there is none and resumed if it was interrupted
    (see the module's docstring). retrain: train anew whatever is there; same_settings: a finished run trained
    from other settings than `config` names (its budget, model, data, training values) is trained anew."""
    folder = RunFolder(folder)
    if not retrain and folder.holds_run() and folder.has_weights():
        run = load_run(folder.path)
        if not (same_settings and not _same_settings(run.config, config)):
            if finished(run):
                return run
            train(None, folder.path, resume=True, quiet=True)  # to the run's own budget
            return _finished(folder.path)
    if folder.holds_run() or folder.has_weights():  # only ever remove a run folder, nothing else
        shutil.rmtree(folder.path)
    train(config, folder.path, quiet=True)
    return _finished(folder.path)


def _finished(path: Path) -> Run:
    """The run just trained in `path`, refused if training stopped before its budget (Ctrl-C, a stop file):
    a benchmark must never score, or keep a record of, a run short of the budget its key names."""
    run = load_run(path)
    if not finished(run):
        raise UserError(f"Training of {path} stopped at step {run.step:,}, before its budget: run the benchmark "
                        "again to resume it.")
    return run


def kept(path: Path, key: Any, compute: Callable[[], Any]) -> Any:
    """compute()'s JSON-able result, kept in `path` with the `key` it was made from (a run's config, the
    settings of a measurement): read back from there while the key is the same (as `settings` compares it),
    computed and kept otherwise."""
    if path.exists():
        record = read_json(path)
        if settings(record.get("key")) == settings(key):
            return record["result"]
    result = compute()
    write_json(path, {"key": key, "result": result})
    return result


_ABSENT = object()  # a field a default config does not have


def settings(key: Any) -> Any:
    """A kept key as compared: within every run config it holds (a dict with "data", "model" and "training"),
    the data and training fields at their defaults are left out. A field added to the config after a record
    was kept takes the default that behaves as before (training.compile, say), so the record still holds for
    a config that leaves it there, and one that sets it is another setting."""
    if isinstance(key, list):
        return [settings(item) for item in key]
    if not isinstance(key, dict):
        return key
    if {"data", "model", "training"} <= key.keys():
        defaults = {"data": DataConfig().model_dump(mode="json"), "training": TrainingConfig().model_dump(mode="json")}
        return {name: ({k: v for k, v in section.items() if defaults[name].get(k, _ABSENT) != v}
                       if name in defaults and isinstance(section, dict) else settings(section))
                for name, section in key.items()}
    return {name: settings(value) for name, value in key.items()}


def training_minutes(run: Run) -> float:
    """The minutes of training (evaluation excluded) the run's last checkpoint recorded."""
    _, meta = read_tensors(run.folder.model)
    return float(meta.get("elapsed", 0.0)) / 60
