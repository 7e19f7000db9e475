"""The moving glyphs of clips found, cut out and followed (`--data tracks:moving-mnist`).

A glyph of a moving-digits clip is found as the brightest GLYPH x GLYPH window of a frame (summed over channels),
moved onto the centre of mass of the light it holds; the window is blanked and the next glyph sought. Cut out, a
window is a digit centred as MNIST centres its digits, so the MNIST classifier can read it: generated clips' digits are compared with real ones
in that classifier's features (frame FD), whatever blur or drift a model adds, since the same finder reads real
and generated frames. Followed from frame to frame (each glyph keeps the window nearest its last one), a clip
becomes its glyphs' own short clips, side by side as channels: (T, K * C, GLYPH, GLYPH). A classifier of the
clip's label learns from those quickly, where one of whole 64x64 frames stayed at chance (the 55 digit pairs:
325 steps at ln 55 nats); its features are where whole clips are compared (the FVD-like distance).

Found windows are only as good as the frames: where two digits overlap, the second window holds what is left
of the other one. Real clips suffer it alike, so the real clips' floor includes it.
"""

from __future__ import annotations

import numpy as np

from genlab.errors import UserError

from .spec import Dataset, DatasetSpec, Split

PREFIX = "tracks:"
GLYPH = 28  # pixels per side of a window: an MNIST digit
GLYPHS = 2  # windows sought per frame: moving-mnist's two digits
CHUNK = 2048  # frames searched at once (bounds the memory of the window sums)
CENTRING = 2  # times a found window is moved onto the centre of mass of the light it holds


def find_glyphs(frames: np.ndarray, count: int = GLYPHS, size: int = GLYPH) -> np.ndarray:
    """Top-left corners (N, count, 2) as (row, col) of the `count` brightest size x size windows of each frame
    (N, C, H, W), brightest first, each window blanked before the next is sought."""
    corners = [_find(frames[i:i + CHUNK], count, size) for i in range(0, len(frames), CHUNK)]
    return np.concatenate(corners) if corners else np.zeros((0, count, 2), np.int64)


def _find(frames: np.ndarray, count: int, size: int) -> np.ndarray:
    n, _, height, width = frames.shape
    if height < size or width < size:
        raise UserError(f"Frames of {height}x{width} pixels are smaller than the {size}x{size} glyphs sought.")
    light = frames.sum(axis=1, dtype=np.float32)  # (N, H, W)
    found = np.zeros((n, count, 2), np.int64)
    for k in range(count):
        total = np.pad(light.cumsum(1).cumsum(2), ((0, 0), (1, 0), (1, 0)))  # (N, H+1, W+1) integral image
        windows = (total[:, size:, size:] - total[:, :-size, size:] - total[:, size:, :-size]
                   + total[:, :-size, :-size])  # (N, H-size+1, W-size+1) sums of every window
        corner = np.stack(np.unravel_index(windows.reshape(n, -1).argmax(1), windows.shape[1:]), axis=1)  # (N, 2)
        for _ in range(CENTRING):  # every window holding a whole glyph sums alike: centre it on the glyph's light
            corner = _centred(light, corner, size)
        found[:, k] = corner
        light = np.where(_inside(light.shape, corner, size), 0.0, light)  # (N, H, W): the window found, blanked
    return found


def _inside(shape: tuple[int, int, int], corner: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W) whether each pixel lies in its frame's window at `corner` (N, 2)."""
    rows, cols = np.arange(shape[1]), np.arange(shape[2])
    r, c = corner[:, 0, None, None], corner[:, 1, None, None]
    return ((rows[None, :, None] >= r) & (rows[None, :, None] < r + size)
            & (cols[None, None, :] >= c) & (cols[None, None, :] < c + size))


def _centred(light: np.ndarray, corner: np.ndarray, size: int) -> np.ndarray:
    """Corners (N, 2) of windows centred on the centre of mass of the light inside the windows at `corner`
    (as MNIST centres a digit in its 28x28), kept inside the frame; an empty window stays where it is."""
    mass = np.where(_inside(light.shape, corner, size), light, 0.0)  # (N, H, W)
    weight = mass.sum((1, 2))
    centre = np.stack([(mass.sum(2) * np.arange(light.shape[1])).sum(1),
                       (mass.sum(1) * np.arange(light.shape[2])).sum(1)], axis=1) / np.maximum(weight, 1e-9)[:, None]
    moved = np.round(centre - (size - 1) / 2).astype(np.int64)
    moved = np.where(weight[:, None] > 0, moved, corner)
    return np.clip(moved, 0, np.array(light.shape[1:]) - size)


def cut(frames: np.ndarray, corners: np.ndarray, size: int = GLYPH) -> np.ndarray:
    """The windows at `corners` (N, K, 2) of frames (N, C, H, W): (N, K, C, size, size)."""
    offsets = np.arange(size)
    r = corners[:, :, 0, None] + offsets  # (N, K, size)
    c = corners[:, :, 1, None] + offsets
    n = np.arange(len(frames))[:, None, None, None, None]
    channel = np.arange(frames.shape[1])[None, None, :, None, None]
    return frames[n, channel, r[:, :, None, :, None], c[:, :, None, None, :]]


def follow(corners: np.ndarray) -> np.ndarray:
    """Corners (N, T, 2, 2) of two glyphs per frame, reordered so each glyph keeps the window nearest its place
    in the frame before (the pair swapped where that is nearer)."""
    corners = corners.copy()
    for t in range(1, corners.shape[1]):
        before, now = corners[:, t - 1], corners[:, t]  # (N, 2, 2)
        kept = np.abs(now - before).sum((1, 2))
        swapped = np.abs(now[:, ::-1] - before).sum((1, 2))
        corners[swapped < kept, t] = now[swapped < kept, ::-1]
    return corners


def glyph_crops(frames: np.ndarray) -> np.ndarray:
    """Every frame's glyphs cut out (N * GLYPHS, C, GLYPH, GLYPH), each frame's together: images a classifier of
    the glyphs reads."""
    return cut(frames, find_glyphs(frames)).reshape(-1, frames.shape[1], GLYPH, GLYPH)


def tracked(clips: np.ndarray) -> np.ndarray:
    """Clips (N, T, C, H, W) as their glyphs followed over the frames, side by side as channels:
    (N, T, GLYPHS * C, GLYPH, GLYPH)."""
    n, t, c = clips.shape[:3]
    out = np.empty((n, t, GLYPHS * c, GLYPH, GLYPH), clips.dtype)
    per = max(1, CHUNK // t)  # clips per chunk
    for i in range(0, n, per):
        part = np.asarray(clips[i:i + per])  # (n', T, C, H, W)
        frames = part.reshape(-1, *part.shape[2:])
        corners = follow(find_glyphs(frames).reshape(len(part), t, GLYPHS, 2))
        windows = cut(frames, corners.reshape(-1, GLYPHS, 2))  # (n' * T, K, C, g, g)
        out[i:i + per] = windows.reshape(len(part), t, GLYPHS * c, GLYPH, GLYPH)
    return out


def tracks_of(video: Dataset) -> Dataset:
    """Every clip of every split as its glyphs followed over the frames (see `tracked`), labels kept; per-clip
    extras are dropped."""
    spec = video.spec
    if spec.modality != "video":
        raise UserError(f"{PREFIX}{spec.name}: {spec.name} holds {spec.modality}, not clips; drop '{PREFIX}'.")
    frames, channels = spec.shape[0], spec.shape[1]
    shape = (frames, GLYPHS * channels, GLYPH, GLYPH)
    tracks = DatasetSpec(f"{PREFIX}{spec.name}", shape, spec.levels, spec.num_classes, spec.class_names, spec.notes,
                         modality="video")
    return Dataset(tracks, *(Split(tracked(s.x), s.y) for s in (video.train, video.val, video.test)))
