"""A model applied to whole arrays in batches, on the model's own device: per-example log-likelihoods,
predicted labels and features. Training (validation) and evaluation share these loops."""

from __future__ import annotations

import numpy as np
import torch

from genlab.config import GENERATOR_MAX, check_seed
from genlab.data.spec import Split
from genlab.models.base import GenerativeModel, from_unit_range


def as_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """A batch on `device`: integer arrays (levels, tokens, labels) as int64, floats (waveforms, factors) as
    they are."""
    # Always a copy, with the array's own strides: they choose the convolution kernels, so the last bits of every
    # figure stay those of earlier versions. A read-only memory map (a cached split) is copied for torch first.
    array = np.asarray(array)
    array = array if array.flags.writeable else np.array(array)
    return torch.from_numpy(array).to(device, dtype=None if array.dtype.kind == "f" else torch.long, copy=True)


@torch.no_grad()
def make_batch(split: Split, idx: torch.Tensor | np.ndarray, device: torch.device) -> dict:
    """{"x": examples, "y": labels if any, and each named per-example array of the split} on `device`, for the
    examples at indices `idx` (a CPU tensor or an array)."""
    i = idx.numpy() if torch.is_tensor(idx) else idx
    return {name: as_tensor(array[i], device) for name, array in split.arrays().items()}


def log_likelihood(model: GenerativeModel, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 100,
                   seed: int = 0, **options) -> tuple[np.ndarray, str]:
    """Per-example log-likelihood in nats (N,) of examples x, and the name of what it is ("exact", "elbo",
    "iwae-k", ...). The model's noise is seeded, so the figure is reproducible."""
    model.eval()
    out, bound = [], "exact"
    with torch.random.fork_rng():
        torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
        for start in range(0, len(x), batch_size):
            xb = as_tensor(x[start : start + batch_size], model.device)
            cond = None if y is None or not model.is_conditional else as_tensor(y[start : start + batch_size], model.device)
            result = model.log_prob(xb, cond, **options)
            out.append(result.nats.double().cpu().numpy())
            bound = result.bound
    return np.concatenate(out), bound


@torch.no_grad()
def _per_batch(model: GenerativeModel, apply, x: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """apply(model's batch of x on its device) for consecutive batches of x, in eval mode, as numpy arrays."""
    model.eval()
    return [apply(as_tensor(x[i : i + batch_size], model.device)).cpu().numpy() for i in range(0, len(x), batch_size)]


def predicted_labels(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The class a model with classify() predicts for each example: (N,) int64."""
    return np.concatenate(_per_batch(model, lambda xb: model.classify(xb).argmax(1), x, batch_size))


def features(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """A feature model's features(x) (N, D) float64, e.g. the classifier's penultimate layer."""
    return np.concatenate(_per_batch(model, lambda xb: model.features(xb).double(), x, batch_size))


@torch.no_grad()
def upscaled(model: GenerativeModel, low: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """A super-resolution model's outputs (N, C, s*h, s*w) as integer levels for low-resolution images
    (N, C, h, w) of levels, in batches (images of one size; `genlab upscale` tiles larger ones)."""
    model.eval()
    top = model.spec.levels - 1
    out = []
    for start in range(0, len(low), batch_size):
        unit = as_tensor(low[start : start + batch_size], model.device).float() * (2.0 / top) - 1.0
        high = model.upscale(unit)  # (B, C, s*h, s*w) on [-1, 1]
        out.append(((high.clamp(-1, 1) + 1) * (top / 2)).round().to(torch.uint8 if top < 256 else torch.int32).cpu().numpy())
    return np.concatenate(out)


def encoded(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """A latent-variable model's codes encode(x) (N, D) float64 (a VAE's posterior means)."""
    return np.concatenate(_per_batch(model, lambda xb: model.encode(xb).double(), x, batch_size))


def decoded(model: GenerativeModel, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """A latent-variable model's decode(z) for codes z (N, D): its examples in the data's own form (levels,
    token ids)."""
    model.eval()
    with torch.no_grad():
        return np.concatenate([model.decode(torch.as_tensor(z[i : i + batch_size], dtype=torch.float32,
                                                             device=model.device)).cpu().numpy()
                               for i in range(0, len(z), batch_size)])


def latent_kls(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Each latent's KL to the prior averaged over examples x: (D,) nats."""
    return sum(_per_batch(model, lambda xb: model.latent_kl(xb).double().sum(0), x, batch_size)) / len(x)


@torch.no_grad()
def decomposed(model: GenerativeModel, x: np.ndarray, *, batch_size: int = 64, seed: int = 0, slots: int | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A decomposing model's split of images x (N, C, H, W) of levels into `slots` (default: the model's):
    (reconstructions (N, C, H, W) and each slot's image (N, K, C, H, W) as levels, masks (N, K, H, W) float32
    summing to 1 over K). Every batch starts from `seed`, and in eval mode a batch shares one draw of initial
    slots, so an image's split depends on the seed alone, not on where it sits among the others."""
    model.eval()
    levels, parts = model.spec.levels, []
    dtype = np.uint8 if levels <= 256 else np.int32
    with torch.random.fork_rng():
        for start in range(0, len(x), batch_size):
            torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
            out = model.decompose(as_tensor(x[start : start + batch_size], model.device), slots)
            parts.append((from_unit_range(out.reconstruction, levels).cpu().numpy().astype(dtype),
                          from_unit_range(out.images, levels).cpu().numpy().astype(dtype),
                          out.masks.float().cpu().numpy()))
    recon, images, masks = (np.concatenate(p) for p in zip(*parts))
    return recon, images, masks


def predictions(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """A predicting model's values predict(x) (N,) float64 (a molecule's activity)."""
    return np.concatenate(_per_batch(model, lambda xb: model.predict(xb).double(), x, batch_size))


def forecasts(model: GenerativeModel, context: np.ndarray, frames: int | None = None, *, batch_size: int = 32,
              seed: int = 0) -> np.ndarray:
    """A forecasting model's next `frames` frames (N, frames, C, H, W) of levels after clips' first frames
    `context` (N, T, C, H, W) of levels, in batches; every batch starts from `seed`, so a stochastic model's
    continuation of a clip depends on the seed alone."""
    with torch.random.fork_rng():
        def apply(xb: torch.Tensor) -> torch.Tensor:
            torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
            return model.forecast(xb, frames)

        return np.concatenate(_per_batch(model, apply, context, batch_size)).astype(np.uint8 if model.spec.levels <= 256
                                                                                      else np.int32)


@torch.no_grad()
def inpainted(model: GenerativeModel, x: np.ndarray, masks: np.ndarray, *, batch_size: int = 50, seed: int = 0,
              **options) -> np.ndarray:
    """An inpainting model's completions (N, C, H, W) of images x (N, C, H, W) of levels where masks (N, H, W) is
    True, every other pixel kept; the draws follow `seed` (one stream over the batches)."""
    model.eval()
    out = []
    with torch.random.fork_rng():
        torch.manual_seed(check_seed(seed, most=GENERATOR_MAX))
        for start in range(0, len(x), batch_size):
            xb = as_tensor(x[start : start + batch_size], model.device)
            mb = torch.from_numpy(np.asarray(masks[start : start + batch_size], bool)).to(model.device)
            out.append(model.inpaint(xb, mb, **options).cpu().numpy())
    return np.concatenate(out).astype(np.asarray(x).dtype)
