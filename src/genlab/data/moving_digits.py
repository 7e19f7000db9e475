"""Moving MNIST drawn by genlab (Srivastava et al. 2015): clips of handwritten digits bouncing inside a frame,
the standard test of video prediction (OpenSTL, PredRNN, SimVP) and a small one of video generation.

A clip is FRAMES frames of SIZE x SIZE grey pixels holding DIGITS 28x28 digits. Each digit starts at a random
place with a random direction and moves STEP of the free span (SIZE - 28 pixels) per frame, bouncing off the
edges (the velocity component that would leave the frame is reversed and the position clamped to it); where
two digits overlap the brighter pixel wins (np.maximum), as in the paper's generator. Which digits: the
caller passes a pool (genlab's built-in takes the training split's digits for training clips and the test
split's for test clips, so test clips show unseen handwriting).

numpy only; the same seed gives the same clips.
"""

from __future__ import annotations

import numpy as np

FRAMES = 20  # per clip: 10 seen, 10 to predict, as the literature splits them
SIZE = 64  # pixels per side of a frame
DIGITS = 2  # digits per clip
DIGIT = 28  # pixels per side of an MNIST digit
STEP = 0.1  # of the free span (SIZE - DIGIT) moved per frame: 3.6 pixels at 64, as Srivastava et al.
CLIP_SHAPE = (FRAMES, 1, SIZE, SIZE)
PAIRS = [(a, b) for a in range(10) for b in range(a, 10)]  # a clip's label: which two digits, in either order


def pair_labels(digits: np.ndarray) -> np.ndarray:
    """Each clip's label (N,) int64: the index in PAIRS of its two digit classes (N, 2), smaller first."""
    digits = np.sort(np.asarray(digits), axis=1)
    index = {pair: i for i, pair in enumerate(PAIRS)}
    return np.array([index[(int(a), int(b))] for a, b in digits], np.int64)


def trajectories(n: int, rng: np.random.Generator, frames: int = FRAMES, digits: int = DIGITS,
                 span: int = SIZE - DIGIT) -> np.ndarray:
    """Top-left corners (n, frames, digits, 2) as (row, column) integers in 0..span: a uniform start in the
    free span, a uniform direction, STEP of the span per frame, bouncing off its edges."""
    position = rng.random((n, digits, 2))  # (row, column) on [0, 1]
    theta = rng.random((n, digits)) * 2 * np.pi
    velocity = np.stack([np.sin(theta), np.cos(theta)], axis=-1)  # (n, digits, 2)
    out = np.empty((n, frames, digits, 2))
    for t in range(frames):
        position = position + STEP * velocity
        below, above = position < 0, position > 1
        velocity = np.where(below | above, -velocity, velocity)
        position = position.clip(0, 1)
        out[:, t] = position
    return np.round(out * span).astype(np.int64)


def moving_digits(pool: np.ndarray, n: int, seed: int, frames: int = FRAMES, size: int = SIZE,
                  digits: int = DIGITS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n clips (n, frames, 1, size, size) uint8 of `digits` digits from `pool` (M, 28, 28) uint8 each, with
    the index into `pool` of each clip's digits (n, digits) and their corners (n, frames, digits, 2)."""
    pool = np.asarray(pool, np.uint8).reshape(len(pool), DIGIT, DIGIT)
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(pool), (n, digits))
    corners = trajectories(n, rng, frames, digits, size - DIGIT)
    clips = np.zeros((n, frames, 1, size, size), np.uint8)
    for k in range(digits):
        glyphs = pool[chosen[:, k]]  # (n, 28, 28)
        for t in range(frames):
            for i in range(n):
                r, c = corners[i, t, k]
                window = clips[i, t, 0, r : r + DIGIT, c : c + DIGIT]
                np.maximum(window, glyphs[i], out=window)
    return clips, chosen, corners
