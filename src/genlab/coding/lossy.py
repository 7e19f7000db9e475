"""Lossy coding with a learned transform codec (genlab.models.codec): the hyper-latent z is coded with the
codec's factorised density, then the latents y with a Gaussian per element whose scale the decoder rebuilds
from z. Both go through one constriction ANS stack (y pushed first, so z pops first).

Determinism: the decoder must use the scales the encoder used. Scales are snapped up to a fixed table of 64
values (as CompressAI does) and the symbols coded are y - mean rounded, whose distribution is centred at
zero, so the mean never enters the coder; both halves compute the same network on the same z anyway. A CRC
of the symbols, stored in the file, confirms the decoder reproduced them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import constriction
import numpy as np
import torch

from genlab.models.codec import SCALE_MIN, STRIDE, Y_RADIUS, Z_RADIUS, Codec, rounded

SCALE_TABLE = np.exp(np.linspace(np.log(SCALE_MIN), np.log(256.0), 64))


def _snap(scale: torch.Tensor) -> np.ndarray:
    """Each scale rounded up to the next table value, float64, flattened."""
    index = np.searchsorted(SCALE_TABLE, scale.double().cpu().numpy().ravel()).clip(max=len(SCALE_TABLE) - 1)
    return SCALE_TABLE[index]


def _z_probabilities(model: Codec, shape: torch.Size) -> np.ndarray:
    """One row of probabilities over -Z_RADIUS..Z_RADIUS per z element (elements in z's flattened order)."""
    table = model.z_density.pmf(Z_RADIUS).double().cpu().numpy()  # (N, 2R + 1)
    return np.repeat(table, shape[2] * shape[3], axis=0)  # (N * h * w, 2R + 1)


def _crc(*arrays: np.ndarray) -> int:
    return zlib.crc32(b"".join(a.astype(np.int32).tobytes() for a in arrays))


@torch.no_grad()
def compress(model: Codec, image: np.ndarray, refine: int = 0,
             on_step: Callable[[], None] | None = None) -> tuple[np.ndarray, int]:
    """One image (C, H, W) uint8 -> (the coder's words, CRC of the symbols). refine: steps of encoder-side
    optimisation of the latents for this image (Codec.refine, which calls on_step after each); 0 codes the
    analysis transform's latents."""
    x_unit = model.to_unit(torch.from_numpy(image).to(model.device))[None]  # (1, C, H, W)
    y, z = model.refine(x_unit, refine, on_step=on_step)
    z_symbols, _ = rounded(z, Z_RADIUS)  # (1, N, h, w)
    mean, scale = model.gaussian_params(z_symbols)
    y_symbols, _ = rounded(y - mean, Y_RADIUS)  # (1, M, H/16, W/16)
    ys = y_symbols.cpu().numpy().astype(np.int32).ravel()
    zs = z_symbols.cpu().numpy().astype(np.int32).ravel()
    coder = constriction.stream.stack.AnsCoder()
    coder.encode_reverse(ys, constriction.stream.model.QuantizedGaussian(-Y_RADIUS, Y_RADIUS),
                         np.zeros(len(ys)), _snap(scale))
    coder.encode_reverse(zs + Z_RADIUS, constriction.stream.model.Categorical(perfect=False),
                         _z_probabilities(model, z.shape))
    return coder.get_compressed(), _crc(zs, ys)


@torch.no_grad()
def decompress(model: Codec, words: np.ndarray, shape: tuple[int, int, int]) -> tuple[np.ndarray, int]:
    """The coder's words -> (the image (C, H, W) uint8, CRC of the decoded symbols)."""
    _, h, w = shape
    hp, wp = h + -h % STRIDE, w + -w % STRIDE
    z_shape = torch.Size((1, model.config.channels, hp // STRIDE, wp // STRIDE))
    coder = constriction.stream.stack.AnsCoder(words)
    zs = coder.decode(constriction.stream.model.Categorical(perfect=False), _z_probabilities(model, z_shape)) - Z_RADIUS
    z_hat = torch.from_numpy(zs.astype(np.float32)).view(z_shape).to(model.device)
    mean, scale = model.gaussian_params(z_hat)  # (1, M, H'/16, W'/16)
    ys = coder.decode(constriction.stream.model.QuantizedGaussian(-Y_RADIUS, Y_RADIUS), np.zeros(mean.numel()),
                      _snap(scale))
    y_hat = torch.from_numpy(ys.astype(np.float32)).view(mean.shape).to(model.device) + mean
    x_hat = model.synthesise(y_hat)[0, :, :h, :w]
    return model.to_levels(x_hat).cpu().numpy(), _crc(zs, ys)


def evaluate_split(model: Codec, x: np.ndarray) -> dict:
    """Code every image of x (N, 3, H, W) into a real payload and decode it: mean bits/dim of the payloads
    (a .glc file adds a header of about 20 bytes), PSNR and MS-SSIM of the decoded images."""
    from genlab.metrics.image_quality import ms_ssim, psnr

    bits, psnrs, ssims = [], [], []
    for image in x:
        words, _ = compress(model, image)
        decoded, _ = decompress(model, words, tuple(image.shape))
        bits.append(32 * len(words) / image.size)
        psnrs.append(psnr(image, decoded))
        ssims.append(ms_ssim(image, decoded))
    return {"bits_per_dim": float(np.mean(bits)), "psnr": float(np.mean(psnrs)), "ms_ssim": float(np.mean(ssims)),
            "rd_lambda": model.config.rd_lambda, "note": "payload bits of each image coded alone, without the header"}
