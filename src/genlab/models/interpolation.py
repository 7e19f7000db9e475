"""Walking between two latents: the path every family with a latent space interpolates along."""

from __future__ import annotations

import torch


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of a and b (B, D) (or (B, ...), flattened) at fractions t (T,):
    (B, T, D). Keeps the norm typical of Gaussian latents, unlike a straight line (White 2016); a VAE's or a
    flow's codes and a diffusion model's DDIM latents x_T all lie near a sphere of radius sqrt(D).

    The cosine is clamped just inside [-1, 1], so parallel (or opposite) rows give a finite, nearly linear
    path instead of 0 / 0."""
    a, b, t = a.flatten(1).unsqueeze(1), b.flatten(1).unsqueeze(1), t.view(1, -1, 1)  # (B, 1, D), (B, 1, D), (1, T, 1)
    cos = (a * b).sum(-1, keepdim=True) / (a.norm(dim=-1, keepdim=True) * b.norm(dim=-1, keepdim=True)).clamp_min(1e-12)
    theta = torch.arccos(cos.clamp(-1 + 1e-7, 1 - 1e-7))  # (B, 1, 1)
    return (torch.sin((1 - t) * theta) * a + torch.sin(t * theta) * b) / torch.sin(theta)  # (B, T, D)
