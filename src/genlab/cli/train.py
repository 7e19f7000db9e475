"""`genlab train`: a run folder from a dataset and a model family."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console, seed_option
from genlab.cli.app import _parse_sets, _parse_size
from genlab.errors import UserError
from genlab.models.registry import families_help


@app.command()
def train(
    out: Path = typer.Option(..., "--out", help="Run folder to create (or continue with --resume)."),
    data: Optional[str] = typer.Option(None, "--data", help="Built-in name (see `genlab datasets`), image folder, or .npy/.npz."),
    model: Optional[str] = typer.Option(None, "--model", help="Model family: " + families_help()),
    conditional: bool = typer.Option(False, "--conditional", help="Learn p(x | label) on labelled data."),
    steps: Optional[int] = typer.Option(None, help="Optimisation steps to train for (default 2000)."),
    epochs: Optional[int] = typer.Option(None, help="Passes over the training split, instead of --steps."),
    minutes: Optional[float] = typer.Option(None, help="Wall-clock budget; stops cleanly and checkpoints when spent."),
    seed: Optional[int] = seed_option(None, "Seed for initialisation, data order and noise (default 0)."),
    batch_size: Optional[int] = typer.Option(None, help="Global batch size, split over processes (default: the "
                                            "family's, 64 for most, at most the training split)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate."),
    device: Optional[str] = typer.Option(None, help="cpu or cuda."),
    channels: Optional[int] = typer.Option(None, help="User images: 1 (grey) or 3 (RGB); default the majority."),
    size: Optional[str] = typer.Option(None, help="User images: resize to HxW, e.g. 28x28."),
    labels_per_class: Optional[int] = typer.Option(None, "--labels-per-class", help="Semi-supervised: keep only N "
                                                   "training labels per class (the rest are hidden), e.g. for ssvae."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file with \\[data], \\[model], \\[training] sections."),
    sets: list[str] = typer.Option([], "--set", metavar="<section.key=value>", help="Override any option: --set model.latent_dim=16 (repeatable)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of a progress bar (notes on the data "
                               "are shown either way)."),
) -> None:
    """Train a generative model on a dataset into a run folder."""
    from genlab import api
    from genlab.config import load_config

    budget = {"steps": steps, "epochs": epochs, "minutes": minutes}
    flags = {
        "data": {"source": data, "channels": channels, "size": _parse_size(size), "labels_per_class": labels_per_class},
        "model": {"name": model, "conditional": conditional or None},
        "training": {"batch_size": batch_size, "lr": lr, "device": device},
        "": {"seed": seed},
    }
    if resume:
        named = {"--data": data, "--model": model, "--conditional": conditional or None, "--seed": seed, "--batch-size": batch_size, "--lr": lr,
                 "--device": device, "--channels": channels, "--size": size, "--labels-per-class": labels_per_class,
                 "--config": config, "--set": sets or None}
        given = [flag for flag, value in named.items() if value is not None]
        if given:
            raise UserError(f"{', '.join(given)} cannot change a run being resumed (only --steps, --epochs or "
                            "--minutes can): drop it, or train a new --out.")
        cfg = None
    else:
        overrides = _parse_sets(sets)
        for section, values in flags.items():
            overrides.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
        overrides["training"].update({k: v for k, v in budget.items() if v is not None})
        cfg = load_config(config, overrides)
    result = api.train(cfg, out, resume=resume, budget=budget, quiet=quiet)
    if not result.is_main:
        return
    for line in result.validation:
        console.print(line)
    console.print(f"{result.stopped} at step {result.step} after {result.elapsed:.1f} s; run folder: {out}")
