"""`genlab demo`: the whole process — learn, sample, measure, report — on built-in digits in about a minute."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

from genlab.config import load_config
from genlab.errors import UserError
from genlab.evaluation import evaluate
from genlab.models.loading import load_run
from genlab.reports.report import write_report
from genlab.runs import RunFolder
from genlab.training.run import train

# Sized to finish in under a minute on two CPU cores; `genlab train` takes the same settings further.
DEMO_SETTINGS = {
    "data": {"source": "digits"},
    "model": {"name": "vae", "channels": 32, "latent_dim": 16},
    "training": {"steps": 1200, "batch_size": 64, "eval_every": 400},
}
MADE_BY = "demo"


def remove_demo_run(out: Path) -> None:
    """Clear a folder a previous `genlab demo` made; refuse to touch anything else."""
    folder = RunFolder(out)
    if not folder.path.exists():
        return
    if not folder.holds_run() or folder.read_info().created_by != MADE_BY:
        raise UserError(f"{out} exists and was not made by `genlab demo`: choose another --out.")
    shutil.rmtree(folder.path)


def run_demo(out: Path, progress: Callable[[str], None] = print, iwae_k: int = 100) -> Path:
    out = Path(out)
    remove_demo_run(out)
    started = time.perf_counter()
    progress("1/3 training a VAE on digits (8x8 images, 17 grey levels) ...")
    train(load_config(None, DEMO_SETTINGS), out, created_by=MADE_BY)
    progress(f"2/3 evaluating on the test split (IWAE, k={iwae_k}; sample quality and novelty) ...")
    run = load_run(out)
    evaluation = evaluate(run, iwae_k=iwae_k)
    likelihood, samples = evaluation["likelihood"], evaluation["samples"]
    quality, novelty = samples.quality, samples.novelty
    progress(f"    test: {likelihood.bits_per_dim:.3f} bits/dim ({likelihood.bound}); as PNG files "
             f"{likelihood.anchors['png']:.2f}, as WebP-lossless files {likelihood.anchors['webp_lossless']:.2f}")
    progress(f"    samples: FD {quality['model'].fd:.2f} (real test images: {quality['real'].fd:.2f}), precision "
             f"{quality['model'].precision:.2f}, recall {quality['model'].recall:.2f}; "
             f"{100 * novelty.share_below_threshold:.1f} % likely copies of training images")
    progress("3/3 writing the report ...")
    report = write_report(run, evaluation)
    progress(f"done in {time.perf_counter() - started:.0f} s")
    return report
