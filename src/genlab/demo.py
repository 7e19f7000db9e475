"""`genlab demo`: the whole process — learn, sample, measure, report — on built-in digits in about a minute."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from genlab import api
from genlab.config import load_config
from genlab.viz.report import write_report

# Sized to finish in under a minute on two CPU cores; `genlab train` takes the same settings further.
DEMO_SETTINGS = {
    "data": {"source": "digits"},
    "model": {"name": "vae", "channels": 32, "latent_dim": 16},
    "training": {"steps": 1500, "batch_size": 64, "eval_every": 500},
}


def run_demo(out: Path, progress: Callable[[str], None] = print, iwae_k: int = 100) -> Path:
    out = Path(out)
    api.remove_demo_run(out)
    started = time.perf_counter()
    progress("1/3 training a VAE on digits (8x8 images, 17 grey levels) ...")
    api.train(load_config(None, DEMO_SETTINGS), out, created_by="demo")
    progress(f"2/3 evaluating on the test split (IWAE, k={iwae_k}; sample quality and novelty) ...")
    run = api.load_run(out)
    result = api.evaluate(run, iwae_k=iwae_k)
    progress(f"    test: {result['bits_per_dim']:.3f} bits/dim ({result['bound']}); as PNG files "
             f"{result['baselines']['png']:.2f}, as WebP-lossless files {result['baselines']['webp_lossless']:.2f}")
    quality, novelty = result["samples"]["quality"], result["samples"]["novelty"]
    progress(f"    samples: FD {quality['model']['fd']:.2f} (real test images: {quality['real']['fd']:.2f}), precision "
             f"{quality['model']['precision']:.2f}, recall {quality['model']['recall']:.2f}; "
             f"{100 * novelty['share_below_threshold']:.1f} % likely copies of training images")
    progress("3/3 writing the report ...")
    report = write_report(run, result)
    progress(f"done in {time.perf_counter() - started:.0f} s")
    return report
