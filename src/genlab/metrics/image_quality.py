"""Distortion of a decoded image against its original: PSNR and MS-SSIM (Wang, Simoncelli & Bovik 2003), on
8-bit RGB (C, H, W) arrays, numpy and scipy only."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # the paper's five scales, fine to coarse
PEAK = 255.0


def psnr(original: np.ndarray, decoded: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over every value of two uint8 images (inf when identical)."""
    mse = float(np.mean((original.astype(np.float64) - decoded.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(PEAK**2 / mse)


def _ssim_terms(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure term of two (H, W) float images, Gaussian window sigma 1.5."""
    c1, c2 = (0.01 * PEAK) ** 2, (0.03 * PEAK) ** 2
    blur = lambda t: gaussian_filter(t, 1.5, truncate=3.5)  # noqa: E731  (an 11x11 window)
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    cs = (2 * cov + c2) / (var_a + var_b + c2)
    luminance = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    return float(np.mean(luminance * cs)), float(np.mean(cs))


def _halve(t: np.ndarray) -> np.ndarray:
    h, w = t.shape[0] // 2 * 2, t.shape[1] // 2 * 2
    return t[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def ms_ssim(original: np.ndarray, decoded: np.ndarray) -> float:
    """Multi-scale SSIM of two (C, H, W) uint8 images, the mean over channels (1 = identical)."""
    values = []
    for a, b in zip(original.astype(np.float64), decoded.astype(np.float64)):
        value = 1.0
        for scale, weight in enumerate(MS_SSIM_WEIGHTS):
            ssim, cs = _ssim_terms(a, b)
            value *= max(ssim if scale == len(MS_SSIM_WEIGHTS) - 1 else cs, 0.0) ** weight
            a, b = _halve(a), _halve(b)
        values.append(value)
    return float(np.mean(values))
