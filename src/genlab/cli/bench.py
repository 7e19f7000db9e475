"""`genlab bench NAME`: the benchmarks behind the README's tables."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console
from genlab.errors import UserError


bench_app = typer.Typer(help="Benchmarks: our figures beside the classical anchors, as markdown tables.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("likelihood")
def bench_likelihood(
    data: str = typer.Option("digits", "--data", help="Dataset to model."),
    minutes: float = typer.Option(5.0, help="Training budget in wall-clock minutes."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table, samples and the run."),
    seed: int = typer.Option(0, help="Seed."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the IWAE bound."),
) -> None:
    """Train the VAE for a time budget; test bits/dim beside PNG, WebP-lossless and xz of the same images."""
    from genlab.benchmarks.families import likelihood

    path = likelihood(data, minutes, out, seed=seed, iwae_k=iwae)
    console.print(path.read_text())
    console.print(f"wrote {path}")


@bench_app.command("families")
def bench_families(
    data: str = typer.Option("mnist", "--data", help="Dataset to model."),
    minutes: float = typer.Option(10.0, help="Training budget per family in wall-clock minutes."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table, grids and runs."),
    only: str = typer.Option("vae,gan,pixelcnn,flow,diffusion", "--families", help="Comma-separated families."),
    seed: int = typer.Option(0, help="Seed."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the VAE's IWAE bound."),
    reuse_runs: bool = typer.Option(False, "--reuse-runs", help="Evaluate the runs an earlier call left in "
                                    "OUT/runs instead of training them again."),
) -> None:
    """Train every family under the same time budget: bits/dim, sample quality, parameters, steps, sampling
    speed, grids."""
    from genlab.benchmarks.families import families
    from genlab.models.registry import MODELS

    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        raise UserError(f"--families {only!r} names no known family ({', '.join(unknown)}): use {', '.join(MODELS)}.")
    path = families(data, minutes, out, names=names, seed=seed, iwae_k=iwae, reuse_runs=reuse_runs)
    console.print(path.read_text())
    console.print(f"wrote {path}")


@bench_app.command("semisupervised")
def bench_semisupervised(
    data: str = typer.Option("digits", "--data", help="Labelled dataset."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated labels per class to keep "
                                         "(default: 1,5,10 on digits, 10,100 on mnist)."),
    seeds: int = typer.Option(5, help="Seeds per setting (each keeps other labels); the table gives mean ± std."),
    steps: int = typer.Option(2000, help="Training steps per run."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table and runs."),
) -> None:
    """Semi-supervised M2 (ssvae) against the classifier trained on the few labels alone: test error."""
    from genlab.benchmarks.families import semisupervised

    try:
        per_class = [int(v) for v in labels.split(",")] if labels else None
    except ValueError:
        raise UserError(f"--labels {labels!r} is not a comma-separated list of integers, e.g. 1,5,10.") from None
    if seeds < 1 or steps < 1 or (per_class and min(per_class) < 1):
        raise UserError("--seeds, --steps and --labels must be positive.")
    path = semisupervised(data, out, labels=per_class, seeds=seeds, steps=steps)
    console.print(path.read_text())
    console.print(f"wrote {path}")


@bench_app.command("compression")
def bench_compression(
    data: str = typer.Option("mnist,digits", "--data", help="Comma-separated datasets for the lossless table."),
    minutes: float = typer.Option(10.0, help="Training budget of each pixelcnn that is not in OUT/runs yet."),
    codec_steps: int = typer.Option(16000, "--codec-steps", help="Training steps of each codec run (one per lambda) "
                                    "not in OUT/runs/codec-photos yet."),
    refine: int = typer.Option(200, "--refine", help="Steps of encoder-side refinement of the latents for each photo "
                               "(as genlab compress --refine); 0 for none."),
    lossless: bool = typer.Option(True, "--lossless/--no-lossless", help="Run the lossless part."),
    lossy: bool = typer.Option(True, "--lossy/--no-lossy", help="Run the lossy part (six photos, four classical codecs)."),
    seed: int = typer.Option(0, help="Seed for any training."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for compression.md, pictures and runs."),
) -> None:
    """Our lossless files (pixelcnn) against PNG, WebP-lossless and JPEG 2000-lossless; our learned codec against
    JPEG, JPEG 2000, WebP and AVIF on six held-out photos (rate-distortion curves, a table at 0.2 bits/dim, and
    every codec's output side by side). Sizes from real files."""
    from genlab.benchmarks.compression import compression_bench

    if minutes <= 0 or codec_steps < 1 or refine < 0:
        raise UserError(f"--minutes ({minutes:g}) and --codec-steps ({codec_steps}) must be positive and --refine "
                        f"({refine}) at least 0.")
    paths = compression_bench(out, datasets=[d for d in data.split(",") if d], minutes=minutes,
                              codec_steps=codec_steps, refine=refine, lossless=lossless, lossy=lossy, seed=seed)
    for path in paths:
        console.print(path.read_text())
        console.print(f"wrote {path}")
