"""What the families that continue clips (video-predict, video) check alike: how many frames they see."""

from __future__ import annotations

import torch

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError


def check_context(family: str, spec: DatasetSpec, context: int) -> None:
    """A family built to see `context` frames of spec's clips must leave at least one frame to predict."""
    frames = spec.shape[0]
    if context >= frames:
        raise UserError(f"Model option 'context' for {family} is {context}, but {spec.name}'s clips have {frames} "
                        f"frames: see fewer frames than that (--set model.context={frames // 2}).")


def last_seen(family: str, context: int, clips: torch.Tensor) -> torch.Tensor:
    """The last `context` frames (B, context, C, H, W) of clips (B, T, C, H, W), or a UserError for too few."""
    if clips.shape[1] < context:
        raise UserError(f"This {family} run continues clips from {context} frames, and {clips.shape[1]} were given: "
                        f"pass at least {context}.")
    return clips[:, -context:]
