"""The options a family's sampler can take, declared once: `genlab sample`'s flags, the checks of
genlab.sampling, the studio's sample request and its page's controls all come from here. Which of them a
family takes is its sample() signature (a VAE: temperature; diffusion: all four). Free of torch."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from genlab.options import Option

SAMPLER: dict[str, Option] = {option.keyword: option for option in (
    Option("temperature", None, "Below 1: safer, less varied samples (latent, flow, autoregressive).", type=float,
           above=0, most=2),
    Option("steps", None, "Denoising steps (diffusion; default: the run's own).", type=int, minimum=1, most=1000),
    Option("method", None, "ddim (deterministic, fewer steps) or ddpm (ancestral) (diffusion).", type=str,
           choices=("ddim", "ddpm")),
    Option("guidance", None, "Classifier-free guidance weight W (conditional diffusion).", type=float, minimum=0,
           most=20),
)}


def taken_by(sampler: Callable) -> list[str]:
    """The declared options `sampler` (a family's sample(), or another of its methods) takes, in SAMPLER's order."""
    accepted = inspect.signature(sampler).parameters
    return [name for name in SAMPLER if name in accepted]
