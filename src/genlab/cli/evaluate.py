"""`genlab evaluate` and `genlab compare`: how good runs are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genlab.cli.app import app, console, print_sections, progress_bar, seed_option
from genlab.cli.declared import with_options
from genlab.evaluation.options import make_options
from genlab.evaluation.registry import declared_options


def evaluate(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    seed: int = seed_option(0, "Seed for the bound's Monte Carlo noise and the samples."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
    **options: Any,
) -> None:
    """How good and how new: test bits/dim beside PNG and WebP-lossless; accuracy (classifiers); FD, KID,
    precision/recall, density/coverage and novelty of samples against the real test split's own figures;
    on data with factors (dsprites) the BetaVAE and FactorVAE scores, MIG, DCI and SAP beside the factors
    themselves and an untrained encoder; on data with object masks FG-ARI, ARI and mean best overlap of a
    decomposing model beside k-means; on video, forecasts beside holding the last frame. Writes evaluation.json,
    novelty.png and report.md into the run folder. Beside --seed and --device, the options are the evaluators' own."""
    from genlab import api

    values = {option.keyword: option.parse(options[option.keyword]) for option in declared_options()}
    make_options(**values)  # checked before the run is opened
    loaded = api.load_run(run, device=device)
    with progress_bar("evaluate") as progress:
        evaluation = api.evaluate(loaded, seed=seed, progress=progress, **values)
    print_sections(evaluation.sections())
    report = api.write_report(loaded, evaluation)
    console.print(f"wrote {loaded.folder.evaluation} and {report}")


app.command()(with_options(evaluate, declared_options()))


@app.command()
def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders of the same dataset."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for comparison.md, bits.png and samples.png."),
    seed: int = seed_option(0, "Seed for samples (and for evaluating runs that have no evaluation.json yet)."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
) -> None:
    """One table of every metric over runs (the real data's floor first), a bits/dim chart and the sample grids
    side by side. Runs without a current evaluation.json are evaluated first."""
    from genlab import api

    path = api.compare(runs, out, seed=seed, device=device)
    console.print(path.read_text(), markup=False)
    console.print(f"wrote {path}")
