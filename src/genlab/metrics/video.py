"""How close predicted frames are to the true ones, as the video-prediction literature counts it (OpenSTL,
Tan et al. 2023; SimVP; PredRNN), so genlab's figures sit beside the published ones:

- MSE and MAE: frames on [0, 1], squared (absolute) errors *summed* over a frame's pixels and channels, then
  averaged over frames and clips — OpenSTL's `MSE = mean over (clip, frame) of sum over (C, H, W)`. A
  Moving MNIST frame has 4,096 pixels, so per-pixel figures are 4,096 times smaller; never mix the two.
- PSNR: per frame on 8-bit values, 10 log10(255^2 / mean squared error), averaged over frames (E3D-LSTM's
  convention that OpenSTL keeps); an exact frame counts EXACT_PSNR dB instead of infinity.
- SSIM: per frame and channel with scikit-image's `structural_similarity` (its 7x7 uniform window, as
  OpenSTL calls it; smaller on frames under 7 pixels) at data_range 1 on [0, 1] frames, averaged.

Clips are (N, T, C, H, W) integer levels 0..levels-1; numpy, and scikit-image for SSIM.
"""

from __future__ import annotations

import numpy as np

EXACT_PSNR = 100.0  # dB counted for a frame predicted exactly (its PSNR is infinite)
METRICS = {"mse": "MSE", "mae": "MAE", "ssim": "SSIM", "psnr": "PSNR dB"}


def _unit(clips: np.ndarray, levels: int) -> np.ndarray:
    return np.asarray(clips, np.float64) / (levels - 1)


def _check(predicted: np.ndarray, true: np.ndarray) -> None:
    if predicted.shape != true.shape or predicted.ndim != 5:
        raise ValueError(f"predicted {predicted.shape} and true {true.shape} clips must both be (N, T, C, H, W)")


def frame_scores(predicted: np.ndarray, true: np.ndarray, levels: int,
                 which: tuple[str, ...] = tuple(METRICS)) -> dict[str, np.ndarray]:
    """The metrics `which` (of mse, mae: sums over the frame; ssim; psnr) per clip and frame (N, T)."""
    _check(predicted, true)
    p, t = _unit(predicted, levels), _unit(true, levels)
    error = p - t  # (N, T, C, H, W)
    out = {}
    if "mse" in which:
        out["mse"] = np.sum(error**2, axis=(2, 3, 4))
    if "mae" in which:
        out["mae"] = np.sum(np.abs(error), axis=(2, 3, 4))
    if "ssim" in which:
        out["ssim"] = _ssim_frames(p, t)
    if "psnr" in which:
        mean_square = np.mean(error**2, axis=(2, 3, 4)) * 255.0**2  # (N, T) on 8-bit values
        with np.errstate(divide="ignore"):
            out["psnr"] = np.where(mean_square > 0, 10 * np.log10(255.0**2 / np.maximum(mean_square, 1e-300)),
                                   EXACT_PSNR)
    return out


def _ssim_frames(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    from skimage.metrics import structural_similarity

    n, frames, channels = p.shape[:3]
    side = min(p.shape[3:])
    window = min(7, side if side % 2 else side - 1)  # scikit-image's 7, or the largest odd size a smaller frame holds
    out = np.empty((n, frames))
    for i in range(n):
        for f in range(frames):
            out[i, f] = np.mean([structural_similarity(p[i, f, c], t[i, f, c], data_range=1.0, win_size=window)
                                 for c in range(channels)])
    return out


def prediction_scores(predicted: np.ndarray, true: np.ndarray, levels: int) -> tuple[dict[str, float], list[float]]:
    """(each metric's mean over clips and frames, the MSE of each predicted frame averaged over clips)."""
    scores = frame_scores(predicted, true, levels)
    return {name: float(values.mean()) for name, values in scores.items()}, scores["mse"].mean(0).tolist()


def copy_last_frame(context: np.ndarray, frames: int) -> np.ndarray:
    """The trivial forecast (N, frames, C, H, W): the last seen frame of each clip (N, T, C, H, W), held."""
    return np.repeat(np.asarray(context)[:, -1:], frames, axis=1)
