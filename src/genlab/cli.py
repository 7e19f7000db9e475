"""The `genlab` command line: parses, calls genlab.api, prints. No logic of its own.

Heavy imports (torch) happen inside commands so `genlab --help` and argument errors stay fast.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from genlab.errors import UserError

app = typer.Typer(
    help="genlab: learn how a dataset was generated, sample new data from it, and measure the model honestly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()


def _parse_size(size: Optional[str]) -> Optional[tuple[int, int]]:
    if size is None:
        return None
    try:
        h, w = (int(v) for v in size.lower().split("x"))
        if h <= 0 or w <= 0:
            raise ValueError
    except ValueError:
        raise UserError(f"--size {size!r} is not HxW: write it like 28x28.") from None
    return h, w


def _parse_sets(pairs: list[str]) -> dict[str, dict]:
    """--set section.key=value (value read as JSON when it parses, else as a string)."""
    out: dict[str, dict] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in ("data", "model", "training"):
            raise UserError(f"--set {pair!r} is not section.key=value with section data, model or training.")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(section, {})[name] = value
    return out


@app.command()
def datasets() -> None:
    """List the built-in datasets: shape, levels, labels and size."""
    from genlab.data import BUILTINS

    table = Table(title="Built-in datasets (or pass a folder of images, a .npy or a .npz)")
    for col in ("name", "shape (C, H, W)", "levels", "classes", "examples"):
        table.add_column(col, no_wrap=True)
    table.add_column("about")
    for entry in BUILTINS.values():
        table.add_row(entry.spec.name, "x".join(map(str, entry.spec.shape)), str(entry.spec.levels),
                      str(entry.spec.num_classes or "-"), str(entry.size), entry.description)
    console.print(table)


@app.command()
def train(
    out: Path = typer.Option(..., "--out", help="Run folder to create (or continue with --resume)."),
    data: Optional[str] = typer.Option(None, "--data", help="Built-in name (see `genlab datasets`), image folder, or .npy/.npz."),
    model: Optional[str] = typer.Option(None, "--model", help="Model family: vae, gan, pixelcnn, flow, diffusion; "
                                         "classifier (discriminative), ssvae (semi-supervised M2), codec (lossy "
                                         "image compression, on photos)."),
    conditional: bool = typer.Option(False, "--conditional", help="Learn p(x | label) on labelled data."),
    steps: Optional[int] = typer.Option(None, help="Optimisation steps to train for (default 2000)."),
    epochs: Optional[int] = typer.Option(None, help="Passes over the training split, instead of --steps."),
    minutes: Optional[float] = typer.Option(None, help="Wall-clock budget; stops cleanly and checkpoints when spent."),
    seed: Optional[int] = typer.Option(None, help="Seed for initialisation, data order and noise (default 0)."),
    batch_size: Optional[int] = typer.Option(None, help="Global batch size, split over processes (default 64)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate."),
    device: Optional[str] = typer.Option(None, help="cpu or cuda."),
    channels: Optional[int] = typer.Option(None, help="User images: 1 (grey) or 3 (RGB); default the majority."),
    size: Optional[str] = typer.Option(None, help="User images: resize to HxW, e.g. 28x28."),
    labels_per_class: Optional[int] = typer.Option(None, "--labels-per-class", help="Semi-supervised: keep only N "
                                                   "training labels per class (the rest are hidden), e.g. for ssvae."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file with \\[data], \\[model], \\[training] sections."),
    sets: list[str] = typer.Option([], "--set", help="Override any option: --set model.latent_dim=16 (repeatable)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of a progress bar."),
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
    if result.last_eval.get("val_bpd") is not None:
        console.print(f"validation: {result.last_eval['val_bpd']:.3f} bits/dim ({result.last_eval['bound']})")
    if result.last_eval.get("val_accuracy") is not None:
        console.print(f"validation accuracy: {100 * result.last_eval['val_accuracy']:.2f} %")
    console.print(f"{result.stopped} at step {result.step} after {result.elapsed:.1f} s; run folder: {out}")


@app.command()
def sample(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    n: int = typer.Option(64, "-n", help="Number of samples (a conditional run without --label spreads them over one row per class)."),
    output: Path = typer.Option(Path("samples.png"), "-o", "--output", help="PNG grid to write."),
    npy: Optional[Path] = typer.Option(None, "--npy", help="Also write the samples as integer levels (N, C, H, W)."),
    seed: int = typer.Option(0, help="Sampling seed."),
    label: Optional[int] = typer.Option(None, help="Class to generate (conditional runs); omitted: one row per class."),
    temperature: Optional[float] = typer.Option(None, help="Below 1: safer, less varied samples (latent, flow, autoregressive)."),
    steps: Optional[int] = typer.Option(None, help="Denoising steps (diffusion)."),
    method: Optional[str] = typer.Option(None, help="ddim (deterministic, fewer steps) or ddpm (ancestral) (diffusion)."),
    guidance: Optional[float] = typer.Option(None, help="Classifier-free guidance weight W (conditional diffusion)."),
    interpolate: bool = typer.Option(False, "--interpolate", help="Instead of samples: walks in latent space between "
                                     "pairs of encoded test images (latent families), one row per pair."),
) -> None:
    """Generate new examples from a trained run (or, with --interpolate, walks between test images)."""
    from genlab import api
    from genlab.files import write_npy
    from genlab.viz.grids import save_grid

    if temperature is not None and temperature <= 0:
        raise UserError(f"--temperature {temperature} must be positive: try 1.0.")
    if steps is not None and steps <= 0:
        raise UserError(f"--steps {steps} must be positive.")
    if method is not None and method not in ("ddim", "ddpm"):
        raise UserError(f"--method {method!r} is not ddim or ddpm.")
    loaded = api.load_run(run)
    if interpolate:
        test = loaded.dataset().test
        pairs = max(1, n // 10)
        x, row = api.interpolate(loaded, test.x[: 2 * pairs], test.y, seed=seed), 10
    else:
        x, row = api.sample_grid(loaded, n, seed=seed, label=label, temperature=temperature, steps=steps,
                                 method=method, guidance=guidance)
    save_grid(x, loaded.spec.levels, output, nrow=row)
    if npy is not None:
        write_npy(npy, x.astype("uint8"))
    console.print(f"{len(x)} {'interpolated images' if interpolate else 'samples'} -> {output}"
                  + (f" and {npy}" if npy else ""))


@app.command()
def evaluate(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the IWAE bound (latent models; 1 = ELBO only)."),
    samples: int = typer.Option(1000, "--samples", help="Samples for quality and novelty metrics (at most the test "
                                "split's size; 0 skips them)."),
    classify: bool = typer.Option(False, "--classify", help="Also classify the test split by Bayes' rule, "
                                  "argmax_y log p(x|y) + log p(y) (class-conditional likelihood models)."),
    seed: int = typer.Option(0, help="Seed for the bound's Monte Carlo noise and the samples."),
) -> None:
    """How good and how new: test bits/dim beside PNG and WebP-lossless; accuracy (classifiers); FD, KID,
    precision/recall, density/coverage and novelty of samples against the real test split's own figures.
    Writes evaluation.json, novelty.png and report.md into the run folder."""
    from genlab import api
    from genlab.viz.report import write_report

    if iwae < 1:
        raise UserError(f"--iwae {iwae} must be at least 1.")
    if samples < 0:
        raise UserError(f"--samples {samples} must be 0 (skip) or positive.")
    loaded = api.load_run(run)
    result = api.evaluate(loaded, iwae_k=iwae, seed=seed, samples=samples, classify=classify)
    _print_evaluation(result)
    report = write_report(loaded, result)
    console.print(f"wrote {run / 'evaluation.json'} and {report}")


def _print_evaluation(result: dict) -> None:
    from genlab.viz.report import evaluation_rows, quality_rows, QUALITY_COLUMNS

    table = Table(title=f"{result['split']} split: {result['examples']} images, {result['dims']} dims each")
    table.add_column("what")
    table.add_column("bits/dim", justify="right")
    table.add_column("nats/image", justify="right")
    for label, bpd, nats in evaluation_rows(result):
        table.add_row(label, "n/a" if bpd is None else f"{bpd:.3f}", "" if nats is None else f"{nats:.1f}")
    console.print(table)
    for key, label in (("accuracy", "test accuracy"), ("bayes_accuracy", "Bayes-rule test accuracy")):
        if key in result:
            console.print(f"{label}: {100 * result[key]:.2f} %" + (f" (log p(x|y) by {result['bayes_bound']})"
                                                                   if key == "bayes_accuracy" else ""))
    if "codec" in result:
        codec = result["codec"]
        console.print(f"codec (lambda {codec['rd_lambda']:g}): {codec['bits_per_dim']:.4f} bits/dim coded, "
                      f"PSNR {codec['psnr']:.2f} dB, MS-SSIM {codec['ms_ssim']:.4f}")
    found = result.get("samples")
    if found and "quality" in found:
        quality = Table(title=f"{found['samples']} samples against the {found['reference']}")
        for column in QUALITY_COLUMNS:
            quality.add_column(column, justify="right")
        for row in quality_rows(result):
            quality.add_row(*row)
        console.print(quality)
        console.print(f"features: {found['features']}; its test accuracy {100 * found['feature_classifier_accuracy']:.1f} %")
    elif found:
        console.print(f"samples: {found['skipped']}")


@app.command()
def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders of the same dataset."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for comparison.md, bits.png and samples.png."),
    seed: int = typer.Option(0, help="Seed for samples (and for evaluating runs that have no evaluation.json yet)."),
) -> None:
    """One table of every metric over runs (the real data's floor first), a bits/dim chart and the sample grids
    side by side. Runs without a current evaluation.json are evaluated first."""
    from genlab import api

    path = api.compare(runs, out, seed=seed)
    console.print(path.read_text())
    console.print(f"wrote {path}")


@contextmanager
def _coding_progress(label: str):
    """Yields progress(total) for genlab.apps.compression: a rich bar over the coder's work (images, or refinement
    steps), on stderr when it is a terminal (else silent), started once the coder knows how much there is."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)

    def start(total: int):
        if not sys.stderr.isatty():
            return lambda n: None
        task = bar.add_task(label, total=total)
        bar.start()
        return lambda n: bar.advance(task, n)

    try:
        yield start
    finally:
        bar.stop()


@app.command()
def compress(
    run: Path = typer.Argument(..., help="A pixelcnn run (lossless .glz), a codec run, or a folder of codec runs "
                               "trained at several lambdas (lossy .glc; pick one with --rate)."),
    source: Path = typer.Argument(..., help="Lossless: an image, a folder of images or a .npy (N, [C,] H, W) of the "
                                  "model's shape and levels. Lossy: one RGB image of any size."),
    output: Path = typer.Option(..., "-o", "--output", help="Compressed file to write (.glz lossless, .glc lossy)."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Lossy, with a folder of codec runs: the highest-quality "
                                         "run whose file stays within this many bits/dim (else the smallest file)."),
    refine: int = typer.Option(0, "--refine", help="Lossy: optimise the latents for this image for N steps before "
                               "coding, e.g. 200: a lower rate + lambda x distortion (a smaller file, a sharper image "
                               "or both); encoding is slower (each run of a family is refined), decoding unchanged."),
) -> None:
    """Compress images with a trained model into a file of about -log2 p(x) bits (lossless) or a learned codec's
    rate (lossy). Sizes are reported in bits/dim of the real file."""
    from genlab.apps import compression

    with _coding_progress("compress") as progress:
        report = compression.compress(run, source, output, rate=rate, refine=refine, progress=progress)
    extra = ""
    if report.model_bits is not None:
        extra = (f"; the model's -log2 p is {report.model_bits / report.dims:.4f} bits/dim "
                 f"(file overhead {100 * (8 * report.file_bytes / report.model_bits - 1):.2f} %)")
    if report.psnr is not None:
        extra = f"; PSNR {report.psnr:.2f} dB with {report.run.name}"
    console.print(f"{report.images} image(s) -> {output}: {report.file_bytes:,} bytes, "
                  f"{report.bits_per_dim:.4f} bits/dim{extra}; {report.seconds:.1f} s")


@app.command()
def decompress(
    run: Path = typer.Argument(..., help="The run (or folder of codec runs) that compressed the file."),
    path: Path = typer.Argument(..., help="A .glz or .glc file written by `genlab compress`."),
    output: Path = typer.Option(..., "-o", "--output", help="A new folder of PNGs, an .npy (N, C, H, W), or a .png "
                                "for a single image."),
) -> None:
    """Decode a compressed file bit-exactly (lossless) or to the codec's reconstruction (lossy). A file from
    another model, truncated or altered, is refused."""
    from genlab.apps import compression

    with _coding_progress("decompress") as progress:
        report = compression.decompress(run, path, output, progress=progress)
    console.print(f"{path} -> {output}: {report.images} image(s) in {report.seconds:.1f} s")


@app.command()
def demo(out: Path = typer.Option(Path("runs/demo"), "--out", help="Run folder for the demo (replaced if a demo made it).")) -> None:
    """The whole process on built-in digits in about a minute: train a VAE, sample, evaluate, write a report."""
    from genlab.demo import run_demo

    report = run_demo(out, progress=console.print)
    console.print(f"[bold green]report:[/] {report}")


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
    from genlab.bench import likelihood

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
    from genlab.bench import families
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
    from genlab.bench import semisupervised

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
    from genlab.bench_compression import compression_bench

    if minutes <= 0 or codec_steps < 1 or refine < 0:
        raise UserError(f"--minutes ({minutes:g}) and --codec-steps ({codec_steps}) must be positive and --refine "
                        f"({refine}) at least 0.")
    paths = compression_bench(out, datasets=[d for d in data.split(",") if d], minutes=minutes,
                              codec_steps=codec_steps, refine=refine, lossless=lossless, lossy=lossy, seed=seed)
    for path in paths:
        console.print(path.read_text())
        console.print(f"wrote {path}")


def main() -> None:
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
