"""The runs under a studio's RUNS_DIR, read for the page: a summary per run (family, data, steps, headline
figure) and a run's details (config, training curves, evaluation tables, pictures). Every name from the browser
is resolved inside RUNS_DIR before it touches the file system: absolute paths, `..` and symbolic links that
lead out are refused. A damaged run folder gives its one-line error in place of its summary, and the others
are listed as usual."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from genlab.errors import UserError
from genlab.evaluation import typed
from genlab.runs import RunFolder

MAX_DEPTH = 3  # run folders are found this many levels below RUNS_DIR at most
SHOWN_SUFFIXES = {".png", ".gif", ".webp", ".jpg", ".jpeg", ".svg", ".wav"}  # files of a run the page may fetch


def inside(root: Path, name: str) -> Path:
    """RUNS_DIR/name resolved (links followed), refused unless it stays inside RUNS_DIR."""
    root = root.resolve()
    if not name or Path(name).is_absolute() or "\x00" in name:
        raise UserError(f"'{name}' is not a name inside the runs folder.")
    path = (root / name).resolve()
    if path != root and root not in path.parents:
        raise UserError(f"'{name}' leads outside the runs folder.")
    return path


def run_folder(root: Path, name: str) -> RunFolder:
    """The run folder RUNS_DIR/name, or a UserError when it is outside RUNS_DIR or holds no run."""
    folder = RunFolder(inside(root, name))
    if not folder.holds_run():
        raise UserError(f"No run named '{name}' in the runs folder.")
    return folder


def run_names(root: Path) -> list[str]:
    """Every folder under RUNS_DIR (at most MAX_DEPTH down, never through links) holding a run, by name."""
    root = root.resolve()
    found, frontier = [], [root]
    for _ in range(MAX_DEPTH):
        below = []
        for folder in frontier:
            for child in sorted(folder.iterdir()) if folder.is_dir() else []:
                if child.is_symlink() or not child.is_dir() or child.name.startswith("."):
                    continue
                if (child / RunFolder.CONFIG).is_file():
                    found.append(child.relative_to(root).as_posix())
                else:
                    below.append(child)
        frontier = below
    return found


def _last_step(folder: RunFolder) -> int | None:
    """The last step metrics.jsonl logged (read from its end, so long logs cost nothing), or None."""
    if not folder.metrics.is_file():
        return None
    with open(folder.metrics, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 4096))
        lines = f.read().decode(errors="replace").splitlines()
    for line in reversed(lines):
        try:
            return int(json.loads(line)["step"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _read(root: Path, name: str):
    """(the run folder, its RunInfo, its typed evaluation or None): what a summary and a page are made of."""
    folder = run_folder(root, name)
    info = folder.read_info()
    record = folder.read_evaluation()
    return folder, info, None if record is None else typed(record)


def _summary(name: str, folder: RunFolder, info, evaluation) -> dict:
    headline = None if evaluation is None else evaluation.headline()
    return {"name": name, "family": info.config.model.name, "dataset": info.config.data.source,
            "modality": info.spec.modality, "parameters": info.model.parameters, "steps": _last_step(folder),
            "headline": None if headline is None else {"label": headline[0], "value": headline[1]}}


def summary(root: Path, name: str) -> dict:
    """One row of the runs list: name, family, dataset, modality, steps, headline figure; or name and error."""
    try:
        return _summary(name, *_read(root, name))
    except UserError as err:
        return {"name": name, "error": str(err)}


def _section(section) -> dict:
    """A tables.Section as plain JSON: title, sentences, tables (columns, rows, title), pictures (caption, path)."""
    return {"title": section.title, "text": list(section.text), "after": list(section.after),
            "tables": [dataclasses.asdict(table) for table in section.tables],
            "pictures": [{"caption": caption, "path": Path(path).as_posix()} for caption, path in section.pictures]}


def sampler_options(family: str) -> list[str]:
    """The sampler options (models/sampler_options.py) that a family's sampler takes (a diffusion run: all four)."""
    from genlab.models.registry import model_class
    from genlab.models.sampler_options import taken_by

    return taken_by(model_class(family).sample)


def sampler_controls(names: list[str]) -> dict[str, dict]:
    """What the page needs to draw each option's control: its type, bounds, choices and help."""
    from genlab.models.sampler_options import SAMPLER

    return {name: {"type": SAMPLER[name].type.__name__, "minimum": SAMPLER[name].minimum, "above": SAMPLER[name].above,
                   "most": SAMPLER[name].most, "choices": list(SAMPLER[name].choices), "help": SAMPLER[name].help}
            for name in names}


def details(root: Path, name: str) -> dict:
    """A run's page: its summary, resolved config, training log, evaluation sections, preview pictures, and
    what its live sampler takes (options, class names for a conditional run)."""
    from genlab.training.metrics import read_metrics

    folder, info, evaluation = _read(root, name)
    previews = sorted(p.relative_to(folder.path).as_posix() for p in (folder.path / "samples").glob("*")
                      if p.suffix.lower() in SHOWN_SUFFIXES) if (folder.path / "samples").is_dir() else []
    offered = sampler_options(info.config.model.name)
    return _summary(name, folder, info, evaluation) | {
        "config": info.config.model_dump(mode="json"), "capabilities": info.model.capabilities,
        "sampler_options": offered, "sampler_controls": sampler_controls(offered),
        "classes": _class_names(info.spec) if info.model.capabilities.get("is_conditional") else None,
        "metrics": read_metrics(folder.metrics), "previews": previews,
        "evaluation": None if evaluation is None else {
            "step": evaluation.header.step, "split": evaluation.header.split,
            "sections": [_section(s) for s in evaluation.sections()]}}


def _class_names(spec) -> list[str]:
    """The names a conditional run's labels stand for (their numbers when the data names none)."""
    return list(spec.class_names or [str(i) for i in range(spec.num_classes or 0)])


def run_file(root: Path, name: str, path: str) -> Path:
    """A picture or sound file of run `name`, resolved inside its folder; a UserError for anything else."""
    folder = run_folder(root, name).path
    target = inside(folder, path)
    if target.suffix.lower() not in SHOWN_SUFFIXES or not target.is_file():
        raise UserError(f"'{path}' is not a picture or sound of run '{name}'.")
    return target
