"""New examples from a run, reproducibly by seed: samples, sample grids, latent interpolation and traversals.

Every check on the sampler's options lives here (or in the family's sampler), so the CLI and a notebook
get the same one-line errors.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np
import torch

from genlab.config import GENERATOR_MAX, check_seed
from genlab.errors import UserError
from genlab.files import read_numpy
from genlab.models.base import GenerativeModel
from genlab.models.batched import encoded, latent_kls
from genlab.models.interpolation import slerp
from genlab.models.loading import Run
from genlab.models.sampler_options import SAMPLER

SAMPLE_CHUNK = 256


def check_options(model: GenerativeModel, options: dict, method=None) -> dict:
    """Drop unset options; refuse bad values (models/sampler_options.py) and options this family's `method`
    (default its sampler) does not take (e.g. --guidance for a VAE, --steps for a pixelcnn's inpainting)."""
    options = {k: v for k, v in options.items() if v is not None}
    for key, value in options.items():
        if key in SAMPLER:
            SAMPLER[key].check(value)
    accepted = inspect.signature(method or model.sample).parameters
    for key in options:
        if key not in accepted:
            raise UserError(f"--{key} does not apply to model {model.name}: drop it.")
    return options


def sample(run: Run, n: int, *, seed: int = 0, labels: np.ndarray | None = None, **options) -> np.ndarray:
    """n new examples in the dataset's own form (integer levels (n, C, H, W) for images), reproducible by
    seed. Conditional runs take one label per example; options (temperature, steps, method, guidance, ...) go
    to the family's sampler."""
    model = run.model
    if not model.can_sample:
        hint = ": continue clips with --context instead" if model.can_forecast else ""
        raise UserError(f"Model {model.name} in {run.path} does not generate samples{hint}.")
    if n <= 0:
        raise UserError(f"Number of samples {n} must be positive: pass -n 64, for example.")
    options = check_options(model, options)
    if model.is_conditional and labels is None:
        labels = np.arange(n) % model.num_classes
    if labels is not None and not model.is_conditional:
        raise UserError(f"Run {run.path} was not trained with --conditional, so it takes no --label.")
    out = []
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
        for start in range(0, n, SAMPLE_CHUNK):
            count = min(SAMPLE_CHUNK, n - start)
            cond = None if labels is None else torch.as_tensor(labels[start : start + count]).long().to(model.device)
            out.append(model.sample(count, cond, **options).cpu().numpy())
    return np.concatenate(out)


def sample_grid(run: Run, n: int, *, seed: int = 0, label: int | None = None, **options) -> tuple[np.ndarray, int]:
    """Samples laid out for a grid, and the grid's row length: one row per class for a conditional run
    when no label is asked for, else a square-ish grid."""
    model = run.model
    if label is not None and model.is_conditional and not 0 <= label < model.num_classes:
        raise UserError(f"--label {label} is not a class of {run.spec.name}: use 0..{model.num_classes - 1}.")
    if model.is_conditional and label is None:
        per_class = max(1, math.ceil(n / model.num_classes))
        labels = np.repeat(np.arange(model.num_classes), per_class)
        return sample(run, len(labels), seed=seed, labels=labels, **options), per_class
    labels = None if label is None else np.full(n, label)
    return sample(run, n, seed=seed, labels=labels, **options), math.ceil(math.sqrt(n))


def interpolate(run: Run, x: np.ndarray, y: np.ndarray | None = None, *, steps: int = 10, seed: int = 0) -> np.ndarray:
    """Walk the latent space between consecutive pairs of examples x (2P, ...): (P * steps, ...)."""
    model = run.model
    if not model.has_latent:
        raise UserError(f"Model {model.name} has no latent space to interpolate in: drop --interpolate (or --between).")
    pairs = len(x) // 2
    if pairs == 0:
        raise UserError("Interpolation needs at least two examples, a pair to walk between.")
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
        xt = torch.from_numpy(x[: 2 * pairs]).long().to(model.device)
        cond = torch.from_numpy(y[: 2 * pairs]).long().to(model.device) if model.is_conditional else None
        z = model.encode(xt, cond)
        path = slerp(z[0::2], z[1::2], torch.linspace(0, 1, steps, device=z.device))  # (P, steps, D)
        path = path.reshape(pairs * steps, *z.shape[1:])
        labels = None if cond is None else cond[0::2].repeat_interleave(steps)
        return model.decode(path, labels).cpu().numpy()


def reconstructions(run: Run, x: np.ndarray, y: np.ndarray | None = None, *, seed: int = 0) -> np.ndarray:
    """Examples x (B, ...) followed by the model's decode(encode(x)) (B, ...): (2B, ...)."""
    model = run.model
    if not model.has_latent:
        raise UserError(f"Model {model.name} has no latent space, so it does not reconstruct examples.")
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
        xt = torch.from_numpy(x).long().to(model.device)
        cond = torch.from_numpy(y).long().to(model.device) if model.is_conditional else None
        recon = model.decode(model.encode(xt, cond), cond).cpu().numpy()
    return np.concatenate([x, recon])


def traversals(run: Run, x: np.ndarray, *, steps: int = 9, span: float = 2.0,
               kl_examples: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent traversals: for each latent d and each example of x (n, ...), the decoder's mean output with
    latent d of the example's code set to `steps` values from -span to +span, the others kept (all
    deterministic: codes are posterior means).

    Returns (images (D, n, steps, ...) with latents ordered by mean KL to the prior, largest first; that
    KL (D,) nats in the same order, measured on `kl_examples` (default x); the latent index of each row
    (D,)). A family without per-latent KL keeps its latents in their own order and reports NaN."""
    model = run.model
    if not model.has_latent:
        raise UserError(f"Model {model.name} has no latent space to traverse: train a vae, tcvae or factorvae.")
    if steps < 2 or not span > 0:
        raise UserError(f"A traversal needs --steps of at least 2 and a positive --span, not {steps} and {span}.")
    with torch.no_grad():
        z = torch.from_numpy(encoded(model, x)).to(model.device, torch.float32)  # (n, D)
        dims = z.shape[1]
        kl = latent_kls(model, x if kl_examples is None else kl_examples) if model.has_latent_kl \
            else np.full(dims, np.nan)
        order = np.argsort(-kl, kind="stable") if model.has_latent_kl else np.arange(dims)
        values = torch.linspace(-span, span, steps, device=z.device)  # (steps,)
        rows = []
        for d in order:
            swept = z[:, None].repeat(1, steps, 1)  # (n, steps, D)
            swept[:, :, d] = values
            rows.append(model.decode(swept.flatten(0, 1)).cpu().numpy().reshape(len(x), steps, *x.shape[1:]))
    return np.stack(rows), kl[order], order


def waveform(mel: torch.Tensor, frames: int, settings, vocoder: GenerativeModel | None = None, *,
             seed: int = 0) -> np.ndarray:
    """The waveform ((frames - 1) * hop,) float32 of one log-mel spectrogram (1, M, Y) of `frames` centred frames:
    through a vocoder model, or Griffin-Lim from seeded phases when there is none."""
    from genlab.models.audio import griffin_lim

    length = (frames - 1) * settings.hop
    with torch.no_grad():
        wave = vocoder.eval().vocode(mel)[0] if vocoder is not None else griffin_lim(mel, settings, length=length,
                                                                                     seed=seed)[0]
    return wave.float().cpu().numpy()[:length]


def speech(model: GenerativeModel, ids: list[int], vocoder: GenerativeModel | None = None, *, speed: float = 1.0,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A text-to-speech model says one sentence of symbol ids: (waveform (S,) float32, its log-mel (M, Y))."""
    model.eval()
    with torch.no_grad():
        mel, frames = model.speak(torch.tensor([ids], device=model.device), speed=speed)  # (1, M, Y)
    wave = waveform(mel, int(frames[0]), model.mel.settings, vocoder, seed=seed)
    return wave, mel[0, :, : int(frames[0])].cpu().numpy()


def read_clips(path: Path, spec) -> np.ndarray:
    """Clips a user gives as seen frames, as levels (N, T, C, H, W) of the run's `spec` (video): a .npy of
    (N, T, H, W) or (N, T, C, H, W) levels, or one animated GIF / WebP (one clip, RGB or grey frames)."""
    from genlab.data.animations import ANIMATION_SUFFIXES, frames_as_channels, read_animation
    from genlab.data.image_io import UnreadableImage

    path = Path(path)
    _, channels, height, width = spec.shape
    if not path.is_file():
        raise UserError(f"No clip file at {path}: pass a .npy of frames or an animated .gif / .webp.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        clips = read_numpy(path)
        if not isinstance(clips, np.ndarray):
            raise UserError(f"{path} is a .npz archive: save the frames as one array with numpy.save.")
        if clips.ndim == 4:
            clips = clips[:, :, None]
    elif suffix in ANIMATION_SUFFIXES:
        try:
            frames = read_animation(path)  # (T, H, W) grey or (T, H, W, 3)
        except UnreadableImage as err:
            raise UserError(f"{path} is not a readable {suffix[1:].upper()} animation ({err.reason}).") from None
        clips = frames_as_channels(frames, channels)[None]  # (1, T, C, H, W), as a folder of clips is read
        clips = np.round(clips.astype(np.float64) * (spec.levels - 1) / 255).astype(np.int64)  # 8-bit -> levels
    else:
        raise UserError(f"{path}: clips are read from .npy, .gif or .webp files.")
    if clips.ndim != 5 or clips.shape[2:] != (channels, height, width):
        raise UserError(f"{path} holds frames of shape {tuple(clips.shape[1:])}, and this run's clips are frames of "
                        f"({channels}, {height}, {width}): pass clips of its size (N, T, {height}, {width}).")
    if clips.size == 0:
        raise UserError(f"{path} holds {clips.shape[0]} clips of {clips.shape[1]} frames: give at least one clip "
                        "with frames in it.")
    if clips.dtype.kind not in "iu" or clips.min() < 0 or clips.max() >= spec.levels:
        raise UserError(f"{path} must hold whole-number levels 0..{spec.levels - 1}.")
    return clips


def continue_clips(run: Run, context: np.ndarray | Path, *, frames: int | None = None, seed: int = 0) -> np.ndarray:
    """Clips (N, T, C, H, W) of levels (or a file of them, `read_clips`) continued by a forecasting run:
    (N, T' + frames, C, H, W), the seen frames the run looks at (its last context_frames of each clip)
    followed by `frames` predicted ones (default: as many as the run was trained to predict)."""
    from genlab.models.batched import forecasts

    model = run.model
    if not model.can_forecast:
        raise UserError(f"Model {model.name} in {run.path} does not continue clips: --context is for video runs "
                        "that forecast (video-predict).")
    if frames is not None and frames <= 0:
        raise UserError(f"--frames {frames} must be positive.")
    if not isinstance(context, np.ndarray):
        context = read_clips(context, run.spec)
    if not len(context):
        raise UserError("No clips were given to continue: pass at least one clip of seen frames.")
    if context.shape[1] < model.context_frames:
        raise UserError(f"This run continues clips from {model.context_frames} seen frames, and the clips given have "
                        f"{context.shape[1]}: pass at least {model.context_frames}.")
    seen = context[:, -model.context_frames:]
    return np.concatenate([seen, forecasts(model, seen, frames, seed=seed)], axis=1)
