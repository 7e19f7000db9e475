"""Benchmarks by name (`genlab bench NAME`). Each entry names the module and function, imported only when
run, says in one line what the benchmark measures, and declares the function's command-line options, from
which genlab/cli/bench.py generates the command (so `genlab bench NAME --help` needs no torch). Adding a
benchmark: one module in this folder with one function that checks its arguments and writes its page, and
one entry here; tests/test_benchmarks.py checks every entry's options against its function's keywords."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

from genlab.errors import UserError
from genlab.options import Option
from genlab.targets import resolve


def step_budget(default: str) -> tuple[Option, Option]:
    """--steps and --minutes, passed to the function together as budget=Budget(steps, minutes)."""
    return (Option("steps", None, f"Training steps of every run (default: {default}). Pages made with the same "
                   "steps show the same figures on any machine.", kind="budget", type=int),
            Option("minutes", None, "A time budget per run instead of steps, for exploring: the figures then depend "
                   "on this machine's speed, and the page says so first.", kind="budget", type=float))


RETRAIN = Option("retrain", False, "Train every run anew instead of reusing a finished run of the same settings in "
                 "OUT/runs (an interrupted one is always resumed).")
OUT = Option("out", Path("benchmarks/results"), "Folder for the page, its records and pictures, and the runs "
             "(OUT/runs).")


def seed(help: str = "Seed.") -> Option:
    return Option("seed", 0, help)


class Benchmark(NamedTuple):
    target: str  # "module:function"
    description: str
    options: tuple[Option, ...] = ()  # besides --out, which every benchmark takes

    @property
    def all_options(self) -> tuple[Option, ...]:
        return (*self.options, OUT)


BENCHMARKS: dict[str, Benchmark] = {
    "likelihood": Benchmark(
        "genlab.benchmarks.likelihood:likelihood",
        "Train the VAE for a step budget; test bits/dim beside PNG, WebP-lossless and xz of the same images.",
        (Option("data", "digits", "Dataset to model."), *step_budget("4,000"), seed(),
         Option("iwae_k", 100, "Importance samples for the IWAE bound.", flag="--iwae"), RETRAIN)),
    "families": Benchmark(
        "genlab.benchmarks.families:families",
        "Train every family for its step budget: bits/dim, sample quality, parameters, steps and training minutes, "
        "sampling speed, grids.",
        (Option("data", "mnist", "Dataset to model."),
         *step_budget("each family's own step budget, printed in the page's steps column"),
         Option("names", "vae,gan,pixelcnn,flow,diffusion", "Comma-separated families.", flag="--families",
                kind="names"),
         seed(), Option("iwae_k", 100, "Importance samples for the VAE's IWAE bound.", flag="--iwae"), RETRAIN)),
    "semisupervised": Benchmark(
        "genlab.benchmarks.semisupervised:semisupervised",
        "Semi-supervised M2 (ssvae) and M1+M2 (m1m2) against the classifier trained on the few labels alone: test "
        "error.",
        (Option("data", "digits", "Labelled dataset."),
         Option("labels", None, "Comma-separated labels per class to keep (default: 1,5,10 on digits, 10,100 on "
                "mnist).", kind="ints", type=str),
         Option("seeds", 5, "Seeds per setting (each keeps other labels); the table gives mean ± std."),
         Option("steps", 2000, "Training steps per run."))),
    "disentanglement": Benchmark(
        "genlab.benchmarks.disentanglement:disentanglement",
        "beta-VAE (beta 1 and 4), beta-TCVAE and FactorVAE on dSprites over seeds: BetaVAE and FactorVAE scores, MIG, "
        "DCI and SAP beside the factors themselves and an untrained encoder, and a latent traversal per model.",
        (Option("seeds", 3, "Seeds per model; the table gives mean ± std."),
         Option("steps", 40_000, "Training images per run in steps of 64 (each model trains a quarter as many "
                "steps at its batch of 256)."),
         Option("size", 64, "dSprites drawn at 64 (the standard size) or 32 pixels square."),
         Option("points", 10_000, "Training examples the metrics fit on (half as many test examples scored); "
                "disentanglement_lib's 10,000 by default."),
         Option("models", "", "Comma-separated models (vae, beta-vae, tcvae, factorvae; default all): two "
                "processes at OMP_NUM_THREADS=1 may train two each, then one call with all writes the page."),
         Option("probe", False, "Instead: each candidate recipe trained --steps steps at seed 0, its validation MIG "
                "against steps and CPU-minutes and its final MIG and FactorVAE score (run at OMP_NUM_THREADS=1)."),
         Option("recipes", "", "With --probe: comma-separated recipes (strided, strided-bf16, strided-256, mlp, "
                "factorvae-strided, factorvae-strided-bf16, factorvae-mlp, strided-256-bf16, strided-512-bf16, "
                "betavae-16-bf16, tc10-256-bf16, broadcast-256-bf16, steered-256-bf16, broadcast-mlp-256-bf16; default all); two processes may train one each, then one call with all writes the "
                "page."))),
    "scenes": Benchmark(
        "genlab.benchmarks.scenes:scenes",
        "Slot Attention on tetrominoes and multi-dsprites over seeds: FG-ARI, ARI and mean best overlap (and FG-ARI on "
        "scenes with two objects of one colour) beside k-means on colour and position and the paper's figures, with "
        "learning curves and the test scenes split into slots. Run it at OMP_NUM_THREADS=1, two processes side by side.",
        (Option("seeds", 3, "Seeds per dataset; the table gives mean ± std."),
         Option("steps", 10_000, "Training steps of each run of the chosen recipes (batch 32; about an hour a run "
                "on one thread)."),
         Option("size", 32, "multi-dsprites drawn at 32 (cheaper) or 64 pixels square; tetrominoes are 35."),
         Option("datasets", "tetrominoes,multi-dsprites", "Comma-separated; two processes may train one each, then "
                "one call with both writes the whole page from their records."),
         Option("probe", False, "Instead: each candidate recipe trained --steps steps at seed 0 (--steps 3000 for "
                "a short probe), its validation FG-ARI against steps and CPU-minutes (run at OMP_NUM_THREADS=1), a "
                "page per dataset."),
         Option("recipes", "", "With --probe: comma-separated recipes (paper, attention, attention-fade, bo-qsa, "
                "bo-qsa-attention, isa, isa-bo-qsa; default all); "
                "two processes may train one each, then one call with all writes the page."))),
    "molecules": Benchmark(
        "genlab.benchmarks.molecules:molecules",
        "CharRNN (SMILES, SELFIES) and the smiles-vae on a MOSES subset: the MOSES report card beside training "
        "molecules and the paper; response prediction on a ChEMBL assay from 25 to all labels, from scratch and "
        "pre-trained, beside a fingerprint forest; candidates designed for QED and for the predicted activity.",
        (Option("data", "moses:100k", "The generators' MOSES subset (moses:N)."),
         Option("steps", 10_000, "charrnn's training steps (batch 64)."),
         Option("vae_steps", 8_000, "The smiles-vae's training steps (batch 64)."),
         Option("predictor_steps", 300, "Each response predictor's training steps."),
         Option("seeds", 3, "Seeds per response setting; the table gives mean ± std."),
         Option("samples", 10_000, "Samples per generator scored by the report card."))),
    "speech": Benchmark(
        "genlab.benchmarks.speech:speech_bench",
        "Text to speech on the Asterisk prompts (one real speaker) and the espeak sentences: a vocoder and a tts per "
        "corpus, MCD, log-F0 RMSE, V/UV error and real-time factor through the vocoder and Griffin-Lim, each beside "
        "the recording's own mel, with held-out sentences to listen to.",
        (Option("corpora", "asterisk,espeak", "Comma-separated: asterisk (run make speech-data first), espeak.",
                kind="names"),
         Option("tts_steps", 6000, "The tts's training steps per corpus (batch 16)."),
         Option("vocoder_steps", 3000, "The vocoder's training steps per corpus (batch 8)."),
         Option("utterances", 20, "Held-out sentences scored per corpus."))),
    "video": Benchmark(
        "genlab.benchmarks.video:video_bench",
        "Video prediction (video-predict, and the video family's drawn futures) on moving-mnist beside holding the "
        "last frame and OpenSTL's rows; sampled clips' frame FD and an FVD-like distance beside the real clips; "
        "diffusion and pixelcnn filling the lower half of MNIST digits; GIFs and pictures.",
        (Option("data", "moving-mnist", "Clips to predict and generate (labelled, for the feature classifiers)."),
         Option("images", "mnist", "Images whose lower half the inpainting runs fill."),
         Option("predict_steps", 3000, "video-predict's training steps (batch 16)."),
         Option("video_steps", 3000, "The video family's training steps (batch 16)."),
         Option("inpaint_steps", 3000, "Training steps of the diffusion and pixelcnn runs that inpaint (batch 16)."),
         Option("clips", 1000, "Test clips continued and scored."),
         Option("samples", 500, "Clips the video family samples for frame FD and FVD-like."),
         Option("inpaint", 200, "Test images each inpainting run fills."))),
    "superres": Benchmark(
        "genlab.benchmarks.superres:superres_bench",
        "Super-resolution x4 on eleven held-out photos: SRResNet and SRGAN against bicubic and Lanczos, Y-PSNR / SSIM "
        "and a detail-restored measure, with one comparison picture per photo.",
        (Option("srresnet_steps", 4000, "Training steps of the srresnet (batch 16)."),
         Option("srgan_steps", 1200, "Training steps of the srgan, started from the srresnet."),
         seed("Seed of both runs."))),
    "compression": Benchmark(
        "genlab.benchmarks.compression:compression_bench",
        "Our lossless files (pixelcnn) against PNG, WebP-lossless and JPEG 2000-lossless; our learned codec against "
        "JPEG, JPEG 2000, WebP and AVIF on six held-out photos (rate-distortion curves, a table at 0.2 bits/dim, and "
        "every codec's output side by side). Sizes from real files.",
        (Option("datasets", "mnist,digits", "Comma-separated datasets for the lossless table.", flag="--data",
                kind="names"),
         *step_budget("mnist's as in bench families, digits 800"),
         Option("codec_steps", 16000, "Training steps of each codec run (one per lambda) not in OUT/runs/codec-photos "
                "yet."),
         Option("refine", 200, "Steps of encoder-side refinement of the latents for each photo (as genlab compress "
                "--refine); 0 for none."),
         Option("lossless", True, "Run the lossless part."),
         Option("lossy", True, "Run the lossy part (six photos, four classical codecs)."),
         seed("Seed for any training."))),
    "speed": Benchmark(
        "genlab.benchmarks.speed:speed_bench",
        "Training ms/step, FLOPs per step, GFLOP/s and the share of this machine's peak for every family at "
        "each thread count, and the inference paths people wait on (sampling, upscale, speak, evaluate).",
        (Option("threads", "1,2", "Comma-separated torch thread counts, measured in turn.", kind="ints"),
         Option("steps", 10, "Timed training steps per family (after 3 warm-up steps)."),
         Option("families", None, "Comma-separated families (default: every one).", kind="names", type=str),
         Option("inference", True, "Time the inference paths too."),
         Option("compile", False, "Time each family again with training.compile (torch.compile; a minute or two of "
                "compiling each), in the row below it."))),
    "studio": Benchmark(
        "genlab.benchmarks.studio:studio",
        "The studio's speed: the runs list of 100 runs and a VAE's sample batch, through the API and in Chromium, "
        "beside the 1 s targets.",
        (Option("runs", 100, "Copies of the VAE run the runs list shows."),
         Option("repeats", 5, "Timed repeats of each measurement (the median is given)."))),
}


def benchmark(name: str) -> Callable:
    """The benchmark's function (its module imported now)."""
    if name not in BENCHMARKS:
        raise UserError(f"Unknown benchmark '{name}': use one of {', '.join(BENCHMARKS)}.")
    return resolve(BENCHMARKS[name].target)
