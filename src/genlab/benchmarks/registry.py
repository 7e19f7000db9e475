"""Benchmarks by name (`genlab bench NAME`). Each entry names the module and function, imported only when
run, and says in one line what the benchmark measures (the command's help). Adding a benchmark: one module
in this folder with one function that checks its arguments and writes its page, one line here, and one
command in genlab/cli/bench.py for its options."""

from __future__ import annotations

import importlib
from typing import Callable, NamedTuple

from genlab.errors import UserError


class Benchmark(NamedTuple):
    target: str  # "module:function"
    description: str


BENCHMARKS: dict[str, Benchmark] = {
    "likelihood": Benchmark(
        "genlab.benchmarks.likelihood:likelihood",
        "Train the VAE for a step budget; test bits/dim beside PNG, WebP-lossless and xz of the same images."),
    "families": Benchmark(
        "genlab.benchmarks.families:families",
        "Train every family for its step budget: bits/dim, sample quality, parameters, steps and training minutes, "
        "sampling speed, grids."),
    "semisupervised": Benchmark(
        "genlab.benchmarks.semisupervised:semisupervised",
        "Semi-supervised M2 (ssvae) and M1+M2 (m1m2) against the classifier trained on the few labels alone: test "
        "error."),
    "disentanglement": Benchmark(
        "genlab.benchmarks.disentanglement:disentanglement",
        "beta-VAE (beta 1 and 4), beta-TCVAE and FactorVAE on dSprites over seeds: BetaVAE and FactorVAE scores, MIG, "
        "DCI and SAP beside the factors themselves and an untrained encoder, and a latent traversal per model."),
    "scenes": Benchmark(
        "genlab.benchmarks.scenes:scenes",
        "Slot Attention on tetrominoes and multi-dsprites over seeds: FG-ARI, ARI and mean best overlap beside k-means "
        "on colour and position and the paper's figures, with the test scenes split into slots."),
    "molecules": Benchmark(
        "genlab.benchmarks.molecules:molecules",
        "CharRNN (SMILES, SELFIES) and the smiles-vae on a MOSES subset: the MOSES report card beside training "
        "molecules and the paper; response prediction on a ChEMBL assay from 25 to all labels, from scratch and "
        "pre-trained, beside a fingerprint forest; candidates designed for QED and for the predicted activity."),
    "speech": Benchmark(
        "genlab.benchmarks.speech:speech_bench",
        "Text to speech on the Asterisk prompts (one real speaker) and the espeak sentences: a vocoder and a tts per "
        "corpus, MCD, log-F0 RMSE, V/UV error and real-time factor through the vocoder and Griffin-Lim, each beside "
        "the recording's own mel, with held-out sentences to listen to."),
    "video": Benchmark(
        "genlab.benchmarks.video:video_bench",
        "Video prediction (video-predict, and the video family's drawn futures) on moving-mnist beside holding the "
        "last frame and OpenSTL's rows; sampled clips' frame FD and an FVD-like distance beside the real clips; "
        "diffusion and pixelcnn filling the lower half of MNIST digits; GIFs and pictures."),
    "superres": Benchmark(
        "genlab.benchmarks.superres:superres_bench",
        "Super-resolution x4 on eleven held-out photos: SRResNet and SRGAN against bicubic and Lanczos, Y-PSNR / SSIM "
        "and a detail-restored measure, with one comparison picture per photo."),
    "compression": Benchmark(
        "genlab.benchmarks.compression:compression_bench",
        "Our lossless files (pixelcnn) against PNG, WebP-lossless and JPEG 2000-lossless; our learned codec against "
        "JPEG, JPEG 2000, WebP and AVIF on six held-out photos (rate-distortion curves, a table at 0.2 bits/dim, and "
        "every codec's output side by side). Sizes from real files."),
    "speed": Benchmark(
        "genlab.benchmarks.speed:speed_bench",
        "Training ms/step, FLOPs per step, GFLOP/s and the share of this machine's matmul peak for every family at "
        "each thread count, and the inference paths people wait on (sampling, upscale, speak, evaluate)."),
    "studio": Benchmark(
        "genlab.benchmarks.studio:studio",
        "The studio's speed: the runs list of 100 runs and a VAE's sample batch, through the API and in Chromium, "
        "beside the 1 s targets."),
}


def benchmark(name: str) -> Callable:
    """The benchmark's function (its module imported now)."""
    if name not in BENCHMARKS:
        raise UserError(f"Unknown benchmark '{name}': use one of {', '.join(BENCHMARKS)}.")
    module, function = BENCHMARKS[name].target.split(":")
    return getattr(importlib.import_module(module), function)
