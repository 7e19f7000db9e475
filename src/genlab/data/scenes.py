"""Multi-object scenes drawn by genlab, each with a ground-truth instance mask: the data Slot Attention
(Locatello et al. 2020) and MONet / IODINE are trained on, and what the FG-ARI metric scores against.

Two families, after DeepMind's multi_object_datasets (Kabra et al. 2019), which are TFRecords that cannot
be downloaded here, so genlab draws its own with the same recipe; they are not byte-identical to
DeepMind's, and their statistics are genlab's where the recipe leaves them open:

- Tetrominoes: 35x35 RGB scenes of three tetrominoes on black. A piece is four 5x5-pixel blocks (so it
  fits in 20x20 pixels) in one of the 19 fixed shape/orientation variants of `TETROMINOES` (DeepMind's
  README counts 17 without saying which two it leaves out), painted in one of 6 fully saturated colours,
  at a random pixel position fully inside the image; pieces never overlap (a scene whose pieces would is
  drawn again).
- Multi-dSprites: 2-5 dSprites shapes (square, ellipse, heart, tested by `dsprites._inside` so they are
  dSprites' own) per scene at a random continuous scale, orientation, position and RGB colour, drawn in
  order over a random grey background (or, `coloured_background`, a random RGB one) so later sprites
  occlude earlier ones. DeepMind's grey-background version draws HSV colours, and its coloured one 1-4
  sprites; genlab draws 2-5 uniformly random RGB sprites in both. A sprite's colour differs from the
  background by at least MIN_CONTRAST levels in some channel, so no sprite blends into it.

Masks are one label image per scene (N, H, W) uint8: 0 is background and i (1..MAX_OBJECTS) the i-th
drawn object's visible pixels, so an object hidden behind later ones has no pixels. Images are uint8
(N, 3, H, W) levels 0..255. The same seed gives the same scenes, and multi-dSprites' scenes do not depend
on `size`: the same seed draws the same sprites at 64x64 and at 32x32.
"""

from __future__ import annotations

import numpy as np

from . import dsprites

MAX_OBJECTS = {"tetrominoes": 3, "multi-dsprites": 5}  # objects per scene at most; masks take 0..max

# ---------------------------------------------------------------- tetrominoes

TETROMINO_SIZE = 35  # pixels per side of a scene
BLOCK = 5  # pixels per side of one block
PIECES = MAX_OBJECTS["tetrominoes"]
PIECE_COLOURS = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255], [0, 255, 255]],
                         np.uint8)  # red, green, blue, yellow, magenta, cyan


def _checked_variants(variants: tuple[tuple[tuple[int, int], ...], ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The variants as written, after checking each is 4 distinct (row, col) cells touching the top and left
    edges of its box and that no two are the same shape (an error here is a typo in TETROMINOES)."""
    seen = set()
    for cells in variants:
        key = frozenset(cells)
        if len(cells) != 4 or len(key) != 4 or min(r for r, _ in cells) or min(c for _, c in cells):
            raise AssertionError(f"tetromino {cells} is not 4 distinct cells at the top left of its box")
        if key in seen:
            raise AssertionError(f"tetromino {cells} is listed twice")
        seen.add(key)
    return variants


# Every fixed tetromino as (row, col) cells, rows pointing down: 19 shape/orientation variants.
TETROMINOES = _checked_variants((
    ((0, 0), (0, 1), (0, 2), (0, 3)), ((0, 0), (1, 0), (2, 0), (3, 0)),  # I
    ((0, 0), (0, 1), (1, 0), (1, 1)),  # O
    ((0, 0), (0, 1), (0, 2), (1, 1)), ((0, 1), (1, 0), (1, 1), (2, 1)),  # T
    ((0, 1), (1, 0), (1, 1), (1, 2)), ((0, 0), (1, 0), (1, 1), (2, 0)),
    ((0, 1), (0, 2), (1, 0), (1, 1)), ((0, 0), (1, 0), (1, 1), (2, 1)),  # S
    ((0, 0), (0, 1), (1, 1), (1, 2)), ((0, 1), (1, 0), (1, 1), (2, 0)),  # Z
    ((0, 1), (1, 1), (2, 0), (2, 1)), ((0, 0), (1, 0), (1, 1), (1, 2)),  # J
    ((0, 0), (0, 1), (1, 0), (2, 0)), ((0, 0), (0, 1), (0, 2), (1, 2)),
    ((0, 0), (1, 0), (2, 0), (2, 1)), ((0, 0), (0, 1), (0, 2), (1, 0)),  # L
    ((0, 0), (0, 1), (1, 1), (2, 1)), ((0, 2), (1, 0), (1, 1), (1, 2)),
))
_CELLS = np.array(TETROMINOES, np.int64)  # (19, 4, 2) (row, col) per block
_CELL_EXTENT = _CELLS.max(axis=1) + 1  # (19, 2) rows and columns of cells each variant spans


def _pieces_overlap(top: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Whether any two pieces of a scene share a pixel, from their blocks' top-left pixels (n, P, 4).

    Pieces are unions of BLOCK x BLOCK squares, so two overlap exactly when a block of one lies less than
    BLOCK away from a block of the other along both axes; the blocks of one piece never do."""
    n, p, b = top.shape
    dy = np.abs(top.reshape(n, p * b, 1) - top.reshape(n, 1, p * b))  # (n, P*4, P*4)
    dx = np.abs(left.reshape(n, p * b, 1) - left.reshape(n, 1, p * b))
    other = np.repeat(np.arange(p), b)[:, None] != np.repeat(np.arange(p), b)[None, :]  # different pieces
    return ((dy < BLOCK) & (dx < BLOCK) & other).any(axis=(1, 2))


def _place_tetrominoes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Variants, colours (n, P) and block top-left pixels (n, P, 4) of n scenes whose pieces lie inside the
    image and do not overlap: every scene is drawn whole, and the scenes with overlapping pieces are drawn
    again until none are left (rejection sampling, so the result is fixed by the generator's state)."""
    variants = np.empty((n, PIECES), np.int64)
    colours = np.empty((n, PIECES), np.int64)
    tops = np.empty((n, PIECES, 4), np.int64)
    lefts = np.empty((n, PIECES, 4), np.int64)
    pending = np.arange(n)
    while pending.size:
        m = len(pending)
        v = rng.integers(0, len(TETROMINOES), (m, PIECES))
        c = rng.integers(0, len(PIECE_COLOURS), (m, PIECES))
        room = TETROMINO_SIZE - BLOCK * _CELL_EXTENT[v] + 1  # (m, P, 2) top-left positions that fit
        corner = rng.integers(0, room)  # (m, P, 2) piece's top-left pixel (row, col)
        top = corner[..., 0, None] + BLOCK * _CELLS[v][..., 0]  # (m, P, 4)
        left = corner[..., 1, None] + BLOCK * _CELLS[v][..., 1]
        bad = _pieces_overlap(top, left)
        done = pending[~bad]
        variants[done], colours[done], tops[done], lefts[done] = v[~bad], c[~bad], top[~bad], left[~bad]
        pending = pending[bad]
    return variants, colours, tops, lefts


def draw_tetrominoes(colours: np.ndarray, tops: np.ndarray, lefts: np.ndarray,
                     size: int = TETROMINO_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Scenes (n, 3, size, size) and masks (n, size, size) uint8 of pieces given by colour indices into
    PIECE_COLOURS (n, P) and their blocks' top-left pixels (n, P, 4), painted in order on black."""
    n, p = tops.shape[:2]
    offsets = np.arange(BLOCK)
    rows = (tops[..., None] + offsets)[..., :, None]  # (n, P, 4, BLOCK, 1)
    cols = (lefts[..., None] + offsets)[..., None, :]  # (n, P, 4, 1, BLOCK)
    masks = np.zeros((n, size, size), np.uint8)
    label = np.arange(1, p + 1, dtype=np.uint8)[None, :, None, None, None]
    masks[np.arange(n)[:, None, None, None, None], rows, cols] = label
    palette = np.concatenate([np.zeros((n, 1, 3), np.uint8), PIECE_COLOURS[colours]], axis=1)  # (n, P+1, 3)
    return _paint(masks, palette), masks


def tetrominoes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n Tetrominoes scenes x (n, 3, 35, 35) uint8 and their masks (n, 35, 35) uint8 (0 background,
    1..3 the pieces, which never overlap), fixed by `seed`."""
    _, colours, tops, lefts = _place_tetrominoes(int(n), np.random.default_rng(seed))
    return draw_tetrominoes(colours, tops, lefts)


# ---------------------------------------------------------------- multi-dSprites

SPRITE_COUNTS = (2, MAX_OBJECTS["multi-dsprites"])  # sprites per scene, uniform, both ends included
SCALE_RANGE = (0.5, 1.0)  # of dsprites.HALF_WIDTH, as dSprites' scales
CENTRE_RANGE = (0.1, 0.9)  # sprite centres, in image widths (sprites near the edge are cut off)
MIN_CONTRAST = 40  # levels a sprite's colour differs from the background by, in its most different channel
CHUNK = dsprites.CHUNK  # scenes drawn at once


def sample_sprites(n: int, seed: int, coloured_background: bool = False) -> dict[str, np.ndarray]:
    """The parameters of n multi-dSprites scenes, fixed by `seed`, as `draw_sprites` takes them: every
    scene has 5 sprite slots (parameters (n, 5)) of which the first `count` (n,) are drawn."""
    rng = np.random.default_rng(seed)
    k = SPRITE_COUNTS[1]
    count = rng.integers(SPRITE_COUNTS[0], SPRITE_COUNTS[1] + 1, n)  # (n,)
    shape = rng.integers(0, len(dsprites.SHAPES), (n, k))  # (n, K)
    scale = rng.uniform(*SCALE_RANGE, (n, k))
    orientation = rng.uniform(0, 2 * np.pi, (n, k))
    centre_x = rng.uniform(*CENTRE_RANGE, (n, k))
    centre_y = rng.uniform(*CENTRE_RANGE, (n, k))
    if coloured_background:
        background = rng.integers(0, 256, (n, 3))  # (n, 3)
    else:
        background = np.repeat(rng.integers(0, 256, (n, 1)), 3, axis=1)
    colour = rng.integers(0, 256, (n, k, 3))  # (n, K, 3)
    while True:  # redraw the colours too close to the background
        dull = np.abs(colour - background[:, None, :]).max(axis=2) < MIN_CONTRAST  # (n, K)
        if not dull.any():
            break
        colour[dull] = rng.integers(0, 256, (int(dull.sum()), 3))
    return {"count": count, "shape": shape, "scale": scale, "orientation": orientation, "centre_x": centre_x,
            "centre_y": centre_y, "colour": colour.astype(np.uint8), "background": background.astype(np.uint8)}


def _sprite_pixels(shape: np.ndarray, scale: np.ndarray, orientation: np.ndarray, centre_x: np.ndarray,
                   centre_y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels m sprites (parameters (m,)) cover in a size x size image, as (sprite, row, col) index
    arrays. Only a box around each sprite is tested, and in it only the pixels within EXTENT of the centre
    reach the shape test (every shape lies within that), which is where the time goes (float32 saves a
    quarter of it)."""
    extent = dsprites.EXTENT * dsprites.HALF_WIDTH * float(scale.max(initial=0))  # image widths
    box = min(int(np.ceil(2 * extent * size)) + 2, size)  # pixels per side of the tested box
    offsets = np.arange(box)
    x0 = np.clip(np.floor(centre_x * size - box / 2).astype(np.int64), 0, size - box)  # (m,) box corner
    y0 = np.clip(np.floor(centre_y * size - box / 2).astype(np.int64), 0, size - box)
    cols = x0[:, None] + offsets  # (m, box) pixel indices
    rows = y0[:, None] + offsets
    unit = (dsprites.HALF_WIDTH * scale)[:, None]
    dx = (((cols + 0.5) / size - centre_x[:, None]) / unit).astype(np.float32)[:, None, :]  # (m, 1, box)
    dy = (((rows + 0.5) / size - centre_y[:, None]) / unit).astype(np.float32)[:, :, None]  # (m, box, 1)
    near = dx**2 + dy**2 <= dsprites.EXTENT**2  # (m, box, box) the pixels worth testing
    cos = np.cos(orientation).astype(np.float32)[:, None, None]
    sin = np.sin(orientation).astype(np.float32)[:, None, None]
    u = (cos * dx + sin * dy)[near]  # rotate the image frame by -theta into the sprite's: (p,)
    v = (cos * dy - sin * dx)[near]
    hit = dsprites._inside(np.broadcast_to(shape[:, None, None], near.shape)[near], u, v)
    i, r, c = (a[hit] for a in np.nonzero(near))
    return i, rows[i, r], cols[i, c]


def draw_sprites(count: np.ndarray, shape: np.ndarray, scale: np.ndarray, orientation: np.ndarray,
                 centre_x: np.ndarray, centre_y: np.ndarray, colour: np.ndarray, background: np.ndarray,
                 size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Scenes x (n, 3, size, size) uint8 and masks (n, size, size) uint8 for explicit sprite parameters:
    the first count (n,) of each scene's K slots drawn in slot order over `background` (n, 3), each sprite
    a dsprites shape index (n, K) at `scale` (n, K) of HALF_WIDTH, `orientation` radians, centre
    (centre_x, centre_y) in image widths and colour (n, K, 3). Later sprites occlude earlier ones."""
    count, shape = np.asarray(count, np.int64), np.asarray(shape, np.int64)
    scale, orientation = np.asarray(scale, np.float64), np.asarray(orientation, np.float64)
    centre_x, centre_y = np.asarray(centre_x, np.float64), np.asarray(centre_y, np.float64)
    n, k = shape.shape
    if k >= 255 or (count < 0).any() or (count > k).any():
        raise ValueError(f"counts must lie in 0..{k} (and fewer than 255 slots for uint8 masks)")
    masks = np.zeros((n, size, size), np.uint8)
    for start in range(0, n, CHUNK):
        chunk = slice(start, start + CHUNK)
        for slot in range(k):  # in drawing order, so later sprites overwrite earlier ones
            scenes = start + np.nonzero(count[chunk] > slot)[0]  # (m,) scenes with this sprite
            i, r, c = _sprite_pixels(shape[scenes, slot], scale[scenes, slot], orientation[scenes, slot],
                                     centre_x[scenes, slot], centre_y[scenes, slot], size)
            masks[scenes[i], r, c] = slot + 1
    palette = np.concatenate([np.asarray(background, np.uint8)[:, None], np.asarray(colour, np.uint8)], axis=1)
    return _paint(masks, palette), masks  # palette (n, K+1, 3): background, then the sprites


def multi_dsprites(n: int, seed: int, size: int = 64,
                   coloured_background: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """n multi-dSprites scenes x (n, 3, size, size) uint8 and their masks (n, size, size) uint8 (0
    background, i the i-th drawn sprite's visible pixels), fixed by `seed` whatever the size."""
    return draw_sprites(**sample_sprites(int(n), seed, coloured_background), size=size)


# ---------------------------------------------------------------- both

def _paint(masks: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGB scenes (n, 3, H, W) uint8 from label images (n, H, W) and each scene's colours by label
    (n, L, 3), label 0 the background: the image is its mask coloured in, so the two always agree."""
    n, h, w = masks.shape
    labels = palette.shape[1]
    out = np.empty((n, 3, h, w), np.uint8)
    step = 1024  # scenes per pass (bounds the index array to 8 bytes a pixel of these)
    for start in range(0, n, step):
        m = masks[start:start + step]
        index = np.arange(0, len(m) * labels, labels)[:, None, None] + m  # (n, H, W) into the flat palette
        for channel in range(3):
            colours = np.ascontiguousarray(palette[start:start + step, :, channel]).ravel()  # (n * L,)
            np.take(colours, index, out=out[start:start + step, channel])
    return out
