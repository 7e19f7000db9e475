"""`genlab bench NAME`: the benchmarks behind the README's tables (genlab/benchmarks/registry.py). Each command
parses its options, runs the benchmark (which checks them) and prints the page it wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.benchmarks.registry import BENCHMARKS, benchmark
from genlab.cli.app import app, console, seed_option
from genlab.errors import UserError


bench_app = typer.Typer(help="Benchmarks: our figures beside the classical anchors, as markdown tables.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


def _print(*paths: Path) -> None:
    for path in paths:
        console.print(path.read_text(), markup=False)
        console.print(f"wrote {path}")


def _budget(steps: Optional[int], minutes: Optional[float]):
    from genlab.benchmarks.budget import Budget

    return Budget(steps, minutes)


def steps_option(default: str) -> Optional[int]:
    return typer.Option(None, "--steps", help=f"Training steps of every run (default: {default}). Pages made with "
                        "the same steps show the same figures on any machine.")


def minutes_option() -> Optional[float]:
    return typer.Option(None, "--minutes", help="A time budget per run instead of steps, for exploring: the figures "
                        "then depend on this machine's speed, and the page says so first.")


def retrain_option() -> bool:
    return typer.Option(False, "--retrain", help="Train every run anew instead of reusing a finished run of the "
                        "same budget in OUT/runs (an interrupted one is always resumed).")


@bench_app.command("likelihood", help=BENCHMARKS["likelihood"].description)
def bench_likelihood(
    data: str = typer.Option("digits", "--data", help="Dataset to model."),
    steps: Optional[int] = steps_option("4,000"),
    minutes: Optional[float] = minutes_option(),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table, samples and the run."),
    seed: int = seed_option(0, "Seed."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the IWAE bound."),
    retrain: bool = retrain_option(),
) -> None:
    _print(benchmark("likelihood")(data, out, budget=_budget(steps, minutes), seed=seed, iwae_k=iwae, retrain=retrain))


@bench_app.command("families", help=BENCHMARKS["families"].description)
def bench_families(
    data: str = typer.Option("mnist", "--data", help="Dataset to model."),
    steps: Optional[int] = steps_option("each family's own step budget, printed in the page's steps column"),
    minutes: Optional[float] = minutes_option(),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table, grids and runs."),
    only: str = typer.Option("vae,gan,pixelcnn,flow,diffusion", "--families", help="Comma-separated families."),
    seed: int = seed_option(0, "Seed."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the VAE's IWAE bound."),
    retrain: bool = retrain_option(),
) -> None:
    names = [name.strip() for name in only.split(",") if name.strip()]
    _print(benchmark("families")(data, out, names=names, budget=_budget(steps, minutes), seed=seed, iwae_k=iwae,
                                 retrain=retrain))


@bench_app.command("semisupervised", help=BENCHMARKS["semisupervised"].description)
def bench_semisupervised(
    data: str = typer.Option("digits", "--data", help="Labelled dataset."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated labels per class to keep "
                                         "(default: 1,5,10 on digits, 10,100 on mnist)."),
    seeds: int = typer.Option(5, help="Seeds per setting (each keeps other labels); the table gives mean ± std."),
    steps: int = typer.Option(2000, help="Training steps per run."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the table and runs."),
) -> None:
    try:
        per_class = [int(v) for v in labels.split(",")] if labels else None
    except ValueError:
        raise UserError(f"--labels {labels!r} is not a comma-separated list of integers, e.g. 1,5,10.") from None
    _print(benchmark("semisupervised")(data, out, labels=per_class, seeds=seeds, steps=steps))


@bench_app.command("disentanglement", help=BENCHMARKS["disentanglement"].description)
def bench_disentanglement(
    seeds: int = typer.Option(3, help="Seeds per model; the table gives mean ± std."),
    steps: int = typer.Option(10_000, help="Training steps per run (batch 64)."),
    size: int = typer.Option(32, help="dSprites drawn at 32 (cheaper) or 64 pixels square."),
    points: int = typer.Option(10_000, help="Training examples the metrics fit on (half as many test examples "
                               "scored); disentanglement_lib's 10,000 by default."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, pictures and runs."),
) -> None:
    _print(benchmark("disentanglement")(out, seeds=seeds, steps=steps, size=size, points=points))


@bench_app.command("scenes", help=BENCHMARKS["scenes"].description)
def bench_scenes(
    seeds: int = typer.Option(3, help="Seeds per dataset; the table gives mean ± std."),
    steps: int = typer.Option(3000, help="Training steps of seeds 1 and up (batch 32)."),
    first_steps: int = typer.Option(6000, "--first-steps", help="Training steps of seed 0 (its pictures are shown)."),
    size: int = typer.Option(32, help="multi-dsprites drawn at 32 (cheaper) or 64 pixels square; tetrominoes are 35."),
    datasets: str = typer.Option("tetrominoes,multi-dsprites", "--datasets",
                                 help="Comma-separated; two processes may train one each, then one call with both "
                                      "writes the whole page from their records."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, pictures and runs."),
) -> None:
    _print(benchmark("scenes")(out, seeds=seeds, steps=steps, first_steps=first_steps, size=size, datasets=datasets))


@bench_app.command("molecules", help=BENCHMARKS["molecules"].description)
def bench_molecules(
    data: str = typer.Option("moses:100k", "--data", help="The generators' MOSES subset (moses:N)."),
    steps: int = typer.Option(10_000, help="charrnn's training steps (batch 64)."),
    vae_steps: int = typer.Option(8_000, "--vae-steps", help="The smiles-vae's training steps (batch 64)."),
    predictor_steps: int = typer.Option(300, "--predictor-steps", help="Each response predictor's training steps."),
    seeds: int = typer.Option(3, help="Seeds per response setting; the table gives mean ± std."),
    samples: int = typer.Option(10_000, help="Samples per generator scored by the report card."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, records and runs."),
) -> None:
    _print(benchmark("molecules")(out, data=data, steps=steps, vae_steps=vae_steps, predictor_steps=predictor_steps,
                                  seeds=seeds, samples=samples))


@bench_app.command("video", help=BENCHMARKS["video"].description)
def bench_video(
    data: str = typer.Option("moving-mnist", "--data", help="Clips to predict and generate (labelled, for the "
                             "feature classifiers)."),
    images: str = typer.Option("mnist", "--images", help="Images whose lower half the inpainting runs fill."),
    predict_steps: int = typer.Option(3000, "--predict-steps", help="video-predict's training steps (batch 16)."),
    video_steps: int = typer.Option(3000, "--video-steps", help="The video family's training steps (batch 16)."),
    inpaint_steps: int = typer.Option(3000, "--inpaint-steps", help="Training steps of the diffusion and pixelcnn "
                                      "runs that inpaint (batch 16)."),
    clips: int = typer.Option(1000, "--clips", help="Test clips continued and scored."),
    samples: int = typer.Option(500, "--samples", help="Clips the video family samples for frame FD and FVD-like."),
    inpaint: int = typer.Option(200, "--inpaint", help="Test images each inpainting run fills."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, records, pictures, runs."),
) -> None:
    _print(benchmark("video")(out, data=data, images=images, predict_steps=predict_steps, video_steps=video_steps,
                              inpaint_steps=inpaint_steps, clips=clips, samples=samples, inpaint=inpaint))


@bench_app.command("speech", help=BENCHMARKS["speech"].description)
def bench_speech(
    corpora: str = typer.Option("asterisk,espeak", "--corpora", help="Comma-separated: asterisk (run make speech-data "
                                "first), espeak."),
    tts_steps: int = typer.Option(6000, "--tts-steps", help="The tts's training steps per corpus (batch 16)."),
    vocoder_steps: int = typer.Option(3000, "--vocoder-steps", help="The vocoder's training steps per corpus (batch 8)."),
    utterances: int = typer.Option(20, help="Held-out sentences scored per corpus."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, records, audio and runs."),
) -> None:
    _print(benchmark("speech")(out, corpora=tuple(c for c in corpora.split(",") if c), tts_steps=tts_steps,
                               vocoder_steps=vocoder_steps, utterances=utterances))


@bench_app.command("studio", help=BENCHMARKS["studio"].description)
def bench_studio(
    runs: int = typer.Option(100, help="Copies of the VAE run the runs list shows."),
    repeats: int = typer.Option(5, help="Timed repeats of each measurement (the median is given)."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, timings and runs."),
) -> None:
    _print(benchmark("studio")(out, runs=runs, repeats=repeats))


@bench_app.command("superres", help=BENCHMARKS["superres"].description)
def bench_superres(
    srresnet_steps: int = typer.Option(4000, "--srresnet-steps", help="Training steps of the srresnet (batch 16)."),
    srgan_steps: int = typer.Option(1200, "--srgan-steps", help="Training steps of the srgan, started from the srresnet."),
    seed: int = seed_option(0, "Seed of both runs."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for the page, pictures and runs."),
) -> None:
    _print(benchmark("superres")(out, srresnet_steps=srresnet_steps, srgan_steps=srgan_steps, seed=seed))


@bench_app.command("compression", help=BENCHMARKS["compression"].description)
def bench_compression(
    data: str = typer.Option("mnist,digits", "--data", help="Comma-separated datasets for the lossless table."),
    steps: Optional[int] = steps_option("mnist's as in bench families, digits 800"),
    minutes: Optional[float] = minutes_option(),
    codec_steps: int = typer.Option(16000, "--codec-steps", help="Training steps of each codec run (one per lambda) "
                                    "not in OUT/runs/codec-photos yet."),
    refine: int = typer.Option(200, "--refine", help="Steps of encoder-side refinement of the latents for each photo "
                               "(as genlab compress --refine); 0 for none."),
    lossless: bool = typer.Option(True, "--lossless/--no-lossless", help="Run the lossless part."),
    lossy: bool = typer.Option(True, "--lossy/--no-lossy", help="Run the lossy part (six photos, four classical codecs)."),
    seed: int = seed_option(0, "Seed for any training."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for compression.md, pictures and runs."),
) -> None:
    _print(*benchmark("compression")(out, datasets=[d for d in data.split(",") if d], budget=_budget(steps, minutes),
                                     codec_steps=codec_steps, refine=refine, lossless=lossless, lossy=lossy, seed=seed))


@bench_app.command("speed", help=BENCHMARKS["speed"].description)
def bench_speed(
    threads: str = typer.Option("1,2", "--threads", help="Comma-separated torch thread counts, measured in turn."),
    steps: int = typer.Option(10, "--steps", help="Timed training steps per family (after 3 warm-up steps)."),
    only: Optional[str] = typer.Option(None, "--families", help="Comma-separated families (default: every one)."),
    inference: bool = typer.Option(True, "--inference/--no-inference", help="Time the inference paths too."),
    compile: bool = typer.Option(False, "--compile", help="Time each family again with training.compile (torch."
                                 "compile; a minute or two of compiling each), in the row below it."),
    out: Path = typer.Option(Path("benchmarks/results"), "--out", help="Folder for speed.md and speed.json."),
) -> None:
    try:
        counts = [int(t) for t in threads.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"--threads {threads!r} must be comma-separated whole numbers: pass --threads 1,2, "
                        "for example.") from None
    names = None if only is None else [name.strip() for name in only.split(",") if name.strip()]
    _print(benchmark("speed")(out, threads=counts, steps=steps, families=names, inference=inference,
                              compile=compile, progress=console.print)[0])
