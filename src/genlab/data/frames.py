"""A video dataset's frames as an image dataset (`--data frames:moving-mnist`): what a frame classifier learns
from, the feature space in which generated clips' frames are compared with real ones (frame FD), and a way to
train any image family on the frames of clips."""

from __future__ import annotations

import numpy as np

from genlab.errors import UserError

from .spec import Dataset, DatasetSpec, Split

PREFIX = "frames:"
PER_CLIP = 4  # frames taken from each clip, evenly spaced from its first to its last


def clip_frames(clips: np.ndarray, per_clip: int = PER_CLIP) -> np.ndarray:
    """`per_clip` evenly spaced frames of each clip (N, T, C, H, W), first to last: (N * k, C, H, W), each clip's
    frames together (k = per_clip, or T when a clip has fewer frames)."""
    picked = np.unique(np.linspace(0, clips.shape[1] - 1, per_clip).round().astype(int))
    return np.asarray(clips[:, picked]).reshape(-1, *clips.shape[2:])


def frames_of(video: Dataset, per_clip: int = PER_CLIP) -> Dataset:
    """`per_clip` evenly spaced frames (C, H, W) of every clip, each with its clip's label; every split's frames
    come from that split's clips, so test frames are frames of test clips. Per-clip extras are dropped."""
    spec = video.spec
    if spec.modality != "video":
        raise UserError(f"{PREFIX}{spec.name}: {spec.name} holds {spec.modality}, not clips; drop '{PREFIX}'.")
    def frames(split: Split) -> Split:
        x = clip_frames(split.x, per_clip)  # (N * k, C, H, W)
        return Split(x, None if split.y is None else np.repeat(split.y, len(x) // len(split.x)))

    images = DatasetSpec(f"{PREFIX}{spec.name}", spec.shape[1:], spec.levels, spec.num_classes, spec.class_names,
                         spec.notes)
    return Dataset(images, frames(video.train), frames(video.val), frames(video.test))
