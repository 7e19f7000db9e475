"""How close an upscaled image is to the original, as the super-resolution literature measures it (SRGAN,
BasicSR): PSNR and SSIM on the luma channel Y of ITU-R BT.601, with `border` pixels cropped on every side,
and one perceptual measure that needs no downloaded network. numpy and scipy only; images (3, H, W) RGB or
(1, H, W) grey, values 0..255."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

PEAK = 255.0


def luma(image: np.ndarray) -> np.ndarray:
    """Y of BT.601 in [16, 235] (float64, (H, W)): 16 + (65.481 R + 128.553 G + 24.966 B) / 255; a grey image
    is taken as R = G = B."""
    rgb = image.astype(np.float64)
    r, g, b = (rgb[0], rgb[0], rgb[0]) if len(rgb) == 1 else rgb[:3]
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def _cropped(t: np.ndarray, border: int) -> np.ndarray:
    return t[border:-border, border:-border] if border else t


def psnr_y(original: np.ndarray, output: np.ndarray, border: int = 4) -> float:
    """PSNR in dB of the Y channels (peak 255) inside a `border`-pixel frame."""
    a, b = _cropped(luma(original), border), _cropped(luma(output), border)
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(PEAK**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = PEAK) -> float:
    """Mean SSIM (Wang et al. 2004) of two (H, W) float images: Gaussian window sigma 1.5 (11x11), K1 0.01,
    K2 0.03, the mean taken where the window lies inside the image (as scikit-image's gaussian_weights=True)."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    blur = lambda t: gaussian_filter(t, 1.5, truncate=3.5)  # noqa: E731  (an 11x11 window)
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s[5:-5, 5:-5].mean())


def ssim_y(original: np.ndarray, output: np.ndarray, border: int = 4) -> float:
    """SSIM of the Y channels inside a `border`-pixel frame."""
    return ssim(_cropped(luma(original), border), _cropped(luma(output), border))


def detail_restored(original: np.ndarray, output: np.ndarray, low_pass: np.ndarray, border: int = 4) -> float:
    """The share of the original's fine detail energy the output has: sum(HP(output)^2) / sum(HP(original)^2)
    on Y, where HP(v) = v - low_pass-version. With `low_pass` the bicubic upscaling of the bicubic downscaled
    original, HP is the band the low-resolution input lost. 1 restores as much detail as the original holds
    (whether or not it is the right detail), 0 none: bicubic stays near 0, a pixel-loss model well below 1
    (it averages detail away), a GAN close to 1."""
    base = _cropped(luma(low_pass), border)
    lost = _cropped(luma(original), border) - base
    made = _cropped(luma(output), border) - base
    return float(np.sum(made**2) / max(np.sum(lost**2), 1e-12))


def scores(original: np.ndarray, output: np.ndarray, bicubic: np.ndarray, border: int = 4) -> tuple[float, float, float]:
    """(Y-PSNR, Y-SSIM, detail restored) of one output, `bicubic` the bicubic upscaling of its input."""
    return (psnr_y(original, output, border), ssim_y(original, output, border),
            detail_restored(original, output, bicubic, border))
