"""`genlab bench superres`: SRResNet and SRGAN against bicubic and Lanczos on eleven photos no model trained on.

Protocol of SRGAN and BasicSR: x4, each photo cut to a multiple of 4, its low-resolution input made by PIL's
antialiased bicubic downscaling, PSNR and SSIM on the BT.601 luma Y with 4 pixels of border cropped. Beside
them one perceptual measure that needs no downloaded network: `detail_restored` (metrics/superres.py), the
share of the fine-detail energy the low-resolution input lost that the output puts back. Both runs are trained
on the `photos` built-in (128x128 crops of other photos; random 96x96 windows, flips and turns) and reused or
resumed as every benchmark's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.apps.superres import upscale_array
from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import train_or_reuse, training_minutes
from genlab.config import load_config
from genlab.data.degrade import crop_to_multiple, downscale, upscale_classically
from genlab.data.photos import SUPERRES_PHOTOS, held_out_photo
from genlab.files import atomic_write
from genlab.media.comparison import labelled_panels
from genlab.metrics.superres import scores as score
from genlab.tables import Table

SCALE = 4
# A CPU-sized SRResNet: 8 residual blocks of 32 channels (the paper: 16 of 64) trains about 4x faster per
# step on 2 cores, so it sees far more crops in the same hour.
SUPERRES_MODEL = {"channels": 32, "blocks": 8, "crop": 96, "scale": SCALE}
SUPERRES_TRAINING = {"batch_size": 16, "lr": 5e-4, "warmup_steps": 200, "eval_every": 500}
METHODS = ("bicubic", "lanczos", "srresnet", "srgan")
PAPER = ("SRGAN paper (Ledig et al. 2017), x4, Y channel, border 4, trained on 350k ImageNet images on a GPU: "
         "Set5 bicubic 28.43 / 0.8211, SRResNet 32.05 / 0.9019, SRGAN 29.40 / 0.8472; Set14 bicubic 25.99 / 0.7486, "
         "SRResNet 28.49 / 0.8184, SRGAN 26.02 / 0.7397.")


def _config(family: str, steps: int, seed: int, **options):
    return load_config(None, {"data": {"source": "photos"}, "model": {"name": family, **SUPERRES_MODEL, **options},
                              "training": {"steps": steps, **SUPERRES_TRAINING}, "": {"seed": seed}})


def superres_bench(out: Path, *, srresnet_steps: int = 4000, srgan_steps: int = 1200, seed: int = 0) -> Path:
    """Train (or reuse) an srresnet and an srgan started from it, upscale the eleven held-out photos x4 with
    them and with bicubic and Lanczos, and write the page, one comparison picture per photo and the runs."""
    positive("--srresnet-steps", srresnet_steps, "4000")
    positive("--srgan-steps", srgan_steps, "1200")
    out = Path(out)
    photos = {name: crop_to_multiple(held_out_photo(name), SCALE) for name in SUPERRES_PHOTOS}  # fails before training
    srresnet = train_or_reuse(out / "runs" / "superres-srresnet", _config("srresnet", srresnet_steps, seed),
                              same_settings=True)
    srgan = train_or_reuse(out / "runs" / "superres-srgan",
                           _config("srgan", srgan_steps, seed, generator=str(srresnet.folder.path)), same_settings=True)
    models = {"srresnet": srresnet.model, "srgan": srgan.model}

    scores: dict[str, dict[str, tuple[float, float, float]]] = {}
    for name, high in photos.items():
        low = downscale(high, SCALE)
        bicubic = upscale_classically(low, SCALE)
        outputs = {"bicubic": bicubic, "lanczos": upscale_classically(low, SCALE, "lanczos")}
        outputs |= {method: upscale_array(model, low) for method, model in models.items()}
        scores[name] = {method: score(high, image, bicubic) for method, image in outputs.items()}
        panels = [("original", high)] + [(f"{method}\n{psnr:.2f} dB / {ssim:.4f}", outputs[method])
                                         for method, (psnr, ssim, _) in scores[name].items() if method != "lanczos"]
        atomic_write(out / f"superres-{name}.png", labelled_panels(panels))

    rows = [(name, *[f"{scores[name][m][0]:.2f} / {scores[name][m][1]:.4f}" for m in METHODS]) for name in photos]
    mean = {m: np.mean([[*scores[name][m]] for name in photos], axis=0) for m in METHODS}
    rows.append(("**mean**", *[f"**{mean[m][0]:.2f} / {mean[m][1]:.4f}**" for m in METHODS]))
    detail = Table(("", *METHODS), [("detail restored (mean)", *[f"{mean[m][2]:.3f}" for m in METHODS])])
    gain = mean["srresnet"][0] - mean["bicubic"][0]
    above_lanczos = sum(scores[name]["srresnet"][0] > scores[name]["lanczos"][0] for name in photos)
    minutes = {m: training_minutes(run) for m, run in (("srresnet", srresnet), ("srgan", srgan))}
    text = "\n".join([
        "# Single-image super-resolution, x4", "",
        f"`genlab bench superres --srresnet-steps {srresnet_steps} --srgan-steps {srgan_steps} --seed {seed}`: "
        "the eleven held-out photos (five from the sporco wheel, six from scikit-image; none in training), each "
        "cut to a multiple of 4 and downscaled by PIL's antialiased bicubic. PSNR (dB) / SSIM on the BT.601 luma "
        "Y with a 4-pixel border cropped (the SRGAN / BasicSR protocol); higher is better.", "",
        f"Models: {SUPERRES_MODEL['blocks']} residual blocks of {SUPERRES_MODEL['channels']} channels (the paper: "
        f"16 of 64), trained on the `photos` built-in (random 96x96 crops, flips, turns; batch "
        f"{SUPERRES_TRAINING['batch_size']}): srresnet {srresnet.step} steps of L1 loss in {minutes['srresnet']:.0f} "
        f"CPU-minutes, srgan {srgan.step} more steps from it in {minutes['srgan']:.0f} (L1 + discriminator feature "
        "matching + 0.01 adversarial); minutes of training as each run recorded them.", "",
        *Table(("photo", *METHODS), rows).markdown(), "",
        f"SRResNet over bicubic: {gain:+.2f} dB mean Y-PSNR (target +1.5, aim +2.5); above Lanczos on "
        f"{above_lanczos} of {len(photos)} photos.", "",
        "**Perceptual measure.** detail restored = sum(HP(output)^2) / sum(HP(original)^2) on Y, HP(v) = v minus the "
        "bicubic upscaling of the low-resolution input: the share of the lost fine-detail energy the output puts "
        "back (1: as much as the original holds, whether or not the right detail; bicubic is 0 by definition). "
        "A pixel-loss model averages detail away; a GAN should come closer to 1.", "",
        *detail.markdown(), "",
        PAPER, "",
        "Pictures (original, bicubic, SRResNet, SRGAN; a zoomed crop below each): "
        + ", ".join(f"[{name}](superres-{name}.png)" for name in photos) + ".", ""])
    path = out / "superres.md"
    atomic_write(path, text.encode())
    return path
