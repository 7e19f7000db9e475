"""dSprites drawn by genlab: binary images of a square, an ellipse or a heart over the full factor grid of
Matthey et al. 2017 (shape 3, scale 6, orientation 40, position x 32, position y 32: 737,280 images).

The grid is dSprites' own: scale linspace(0.5, 1, 6), orientation linspace(0, 2 pi, 40) (both ends, so the
first and last orientation draw the same image, as in the original), positions linspace(0, 1, 32). The
pixels are genlab's: each pixel centre is mapped into the sprite's frame (translate, rotate, scale) and
tested against the shape's implicit equation, so any combination is drawn exactly and deterministically
at any resolution (64x64 as the original, 32x32 for a cheaper variant); they are not DeepMind's PNGs
byte for byte. At scale 1 a square is 0.24 of the image wide; centres span [0.2, 0.8] of the image so a
sprite at any scale and orientation stays inside it.

`color-dsprites` paints the sprite in one of the seven non-black binary RGB colours, a sixth factor,
so the images stay binary per channel (levels 2) and the metrics read a colour factor too.
"""

from __future__ import annotations

import numpy as np

FACTOR_NAMES = ("shape", "scale", "orientation", "position_x", "position_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
SHAPES = ("square", "ellipse", "heart")
COLOURS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], np.uint8)
HALF_WIDTH = 0.12  # a square's half side at scale 1, in image widths
CENTRE_RANGE = (0.2, 0.8)  # where sprite centres go as position runs from 0 to 1
EXTENT = 1.7  # every shape lies within this many HALF_WIDTHs of its centre (the heart reaches 1.65)
CHUNK = 4096  # images drawn at once (bounds the float work arrays to a few tens of MB)


def factor_values(factors: np.ndarray) -> dict[str, np.ndarray]:
    """The real values behind factor indices (N, 5): scale in [0.5, 1], orientation in radians, positions in
    [0, 1] (dSprites' own grid); shape stays an index into SHAPES."""
    f = np.asarray(factors)
    return {"shape": f[:, 0], "scale": 0.5 + 0.1 * f[:, 1], "orientation": f[:, 2] * (2 * np.pi / 39),
            "position_x": f[:, 3] / 31, "position_y": f[:, 4] / 31}


def _inside(shape: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether points (u, v) of the sprite's own frame (units of HALF_WIDTH, v pointing down) fall in the
    shape; shape (N, 1, 1), u and v (N, H, W)."""
    square = (np.abs(u) <= 1) & (np.abs(v) <= 1)
    ellipse = (u / 1.25) ** 2 + (v / 0.55) ** 2 <= 1  # an elongated ellipse, as dSprites'
    hx, hy = u / 1.1, -(v + 0.1) / 1.1  # heart curve (x^2 + y^2 - 1)^3 <= x^2 y^3, y up, centred
    heart = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    return np.where(shape == 0, square, np.where(shape == 1, ellipse, heart))


def render(factors: np.ndarray, size: int = 64) -> np.ndarray:
    """Binary images (N, 1, size, size) uint8 in {0, 1} for factor indices (N, 5) in FACTOR_NAMES order.

    Only a box around each sprite is tested (every shape lies within EXTENT of its centre), which is
    where the time goes; pixels outside it are background by construction."""
    factors = np.asarray(factors, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != len(FACTOR_SIZES):
        raise ValueError(f"factors must be (N, {len(FACTOR_SIZES)}), not {factors.shape}")
    if (factors < 0).any() or (factors >= np.array(FACTOR_SIZES)).any():
        raise ValueError(f"factor indices must lie in 0..size-1 for sizes {FACTOR_SIZES}")
    box = int(np.ceil(2 * EXTENT * HALF_WIDTH * size)) + 2  # pixels per side of the tested box
    offsets = np.arange(box)
    out = np.zeros((len(factors), 1, size, size), np.uint8)
    for start in range(0, len(factors), CHUNK):
        f = factors[start:start + CHUNK]
        values = factor_values(f)
        lo, hi = CENTRE_RANGE
        cx = lo + (hi - lo) * values["position_x"]  # (n,) in image widths
        cy = lo + (hi - lo) * values["position_y"]
        x0 = np.clip(np.floor(cx * size - box / 2).astype(np.int64), 0, size - box)  # (n,) box corner, pixels
        y0 = np.clip(np.floor(cy * size - box / 2).astype(np.int64), 0, size - box)
        cols = x0[:, None] + offsets  # (n, box) pixel indices
        rows = y0[:, None] + offsets
        unit = (HALF_WIDTH * values["scale"])[:, None, None]
        dx = ((cols[:, None, :] + 0.5) / size - cx[:, None, None]) / unit  # (n, 1, box) sprite units
        dy = ((rows[:, :, None] + 0.5) / size - cy[:, None, None]) / unit  # (n, box, 1)
        theta = values["orientation"][:, None, None]
        cos, sin = np.cos(theta), np.sin(theta)
        u = cos * dx + sin * dy  # rotate the image frame by -theta into the sprite's: (n, box, box)
        v = -sin * dx + cos * dy
        n = np.arange(start, start + len(f))[:, None, None]
        out[n, 0, rows[:, :, None], cols[:, None, :]] = _inside(f[:, 0, None, None], u, v)
    return out


def render_coloured(factors: np.ndarray, size: int = 64) -> np.ndarray:
    """RGB binary images (N, 3, size, size) for factor indices (N, 6): the five dSprites factors, then the
    colour index into COLOURS."""
    factors = np.asarray(factors, dtype=np.int64)
    mask = render(factors[:, :5], size)  # (N, 1, size, size)
    return mask * COLOURS[factors[:, 5]][:, :, None, None]


def sample_factors(n: int, seed: int, sizes: tuple[int, ...] = FACTOR_SIZES) -> np.ndarray:
    """n distinct combinations (n, K) int64 drawn uniformly without replacement from the grid `sizes`,
    in a fixed order for `seed`."""
    total = int(np.prod(sizes))
    if not 0 < n <= total:
        raise ValueError(f"cannot draw {n} distinct combinations from a grid of {total}")
    flat = np.random.default_rng(seed).choice(total, size=n, replace=False)
    return np.stack(np.unravel_index(flat, sizes), axis=1).astype(np.int64)


def grid_factors(sizes: tuple[int, ...] = FACTOR_SIZES) -> np.ndarray:
    """Every combination (prod(sizes), K) in row-major order: combination i is `np.unravel_index(i, sizes)`."""
    return np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1).astype(np.int64)
