"""Which text symbol each spectrogram frame says, and how to stretch symbols to frames.

`monotonic_alignment`: monotonic alignment search (Kim et al. 2020, Glow-TTS): given a score of every
(symbol, frame) pair (the log-likelihood of the frame under the symbol's predicted distribution), the path
of highest total score that starts at the first symbol and frame, ends at the last of each, and moves to the
next symbol or stays with each frame. Every frame belongs to one symbol, every symbol gets at least one
frame. Dynamic programming, O(symbols x frames), on the CPU in numpy (it carries no gradient).

`expand`: FastSpeech's length regulator: each symbol's hidden vector repeated for its duration in frames.
"""

from __future__ import annotations

import numpy as np
import torch

NEG = -1e9


def monotonic_alignment(score: np.ndarray, symbols: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The best monotonic path (B, X, Y) of 0/1 for scores (B, X, Y), with each example's symbol and frame
    counts (B,) (the rest is padding, left 0). Needs frames >= symbols for every example.

    The whole batch moves one frame at a time (a Python loop over frames, not over examples and frames): a
    symbol's best score only ever comes from the symbol before it, so padding rows never reach an example's
    own rows, and padding frames lie beyond where its path starts back."""
    batch, x_max, y_max = score.shape
    symbols, frames = np.asarray(symbols, np.int64), np.asarray(frames, np.int64)
    short = np.flatnonzero(frames < symbols)
    if len(short):
        b = int(short[0])
        raise ValueError(f"example {b}: {frames[b]} frames cannot align to {symbols[b]} symbols (each needs one)")
    value = score.astype(np.float64)  # (B, X, Y)
    best = np.full(score.shape, NEG)  # (B, X, Y)
    best[:, 0, 0] = value[:, 0, 0]
    for j in range(1, y_max):  # frame j: stay with symbol i, or come from symbol i - 1
        stay = best[:, :, j - 1]  # (B, X)
        come = np.concatenate([np.full((batch, 1), NEG), stay[:, :-1]], axis=1)
        best[:, :, j] = value[:, :, j] + np.maximum(stay, come)
        best[:, j + 1 :, j] = NEG  # symbol i needs frames 0..i before it: unreachable beyond the diagonal
    path = np.zeros(score.shape, np.int64)
    rows, i = np.arange(batch), symbols - 1  # back from each example's last symbol at its last frame
    for j in range(y_max - 1, -1, -1):
        inside = j < frames  # (B,) examples whose path has reached frame j
        path[rows[inside], i[inside], j] = 1
        if j:
            before = np.maximum(i - 1, 0)
            i = i - (inside & (i > 0) & ((i == j) | (best[rows, before, j - 1] > best[rows, i, j - 1])))
    return path


def expand(hidden: torch.Tensor, durations: torch.Tensor, frames: int | None = None) -> torch.Tensor:
    """Each symbol's vector repeated for its duration: hidden (B, X, D), integer durations (B, X) -> (B, Y, D),
    Y = `frames` or the longest total duration, zero-padded after each example's frames."""
    durations = durations.long().clamp(min=0)
    ends = durations.cumsum(1)  # (B, X): the frame after each symbol's last
    y = int(ends[:, -1].max()) if frames is None else frames
    positions = torch.arange(y, device=hidden.device)  # (Y,)
    # frame t belongs to the first symbol whose end is beyond t; frames past the total belong to none
    owner = (positions[None, :, None] >= ends[:, None, :]).sum(2)  # (B, Y) symbol index, X when past the end
    valid = owner < hidden.shape[1]
    gathered = torch.gather(hidden, 1, owner.clamp(max=hidden.shape[1] - 1)[..., None].expand(-1, -1, hidden.shape[2]))
    return gathered * valid[..., None]
