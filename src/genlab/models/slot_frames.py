"""Slot-centric reference frames: Invariant Slot Attention (Biza et al. 2023), translation and scale.

Each slot carries a position and a scale in the image, and sees every image position relative to them: the
keys and values it attends to mix the encoder's features with that relative position, and the decoder draws
the slot on the same relative grid. A slot is then a spatially local thing that can move without changing
what it draws, so two pieces of one colour in different places are cheaper as two slots than as one, and the
decoder learns each shape once instead of at every place in the image.

After each round a slot's position is the attention-weighted mean of the positions it won and its scale their
weighted spread (per axis). Coordinates run over [-1, 1] on both axes.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from genlab.models.slots_attention import SlotAttention

MIN_SCALE = 0.02  # a slot's spread never falls below this (a tenth of a pixel on 35 x 35), so relative grids stay finite


class Frames(NamedTuple):
    """Each slot's reference frame: positions (B, K, 2) and scales (B, K, 2), (y, x) on [-1, 1]."""

    positions: torch.Tensor
    scales: torch.Tensor

    def relative(self, coords: torch.Tensor) -> torch.Tensor:
        """coords (..., 2) seen from each slot: (B, K, *coords' leading axes, 2)."""
        shape = (*self.positions.shape[:2],) + (1,) * (coords.dim() - 1) + (2,)
        return (coords - self.positions.reshape(shape)) / self.scales.reshape(shape)

    def detach(self) -> "Frames":
        return Frames(self.positions.detach(), self.scales.detach())


def coordinates(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(H, W, 2): each position's (y, x) on [-1, 1]."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height, device=device), torch.linspace(-1, 1, width, device=device),
                            indexing="ij")
    return torch.stack([ys, xs], dim=-1)


class InvariantSlotAttention(SlotAttention):
    """Slot attention whose keys and values depend on each slot's frame: key_kn = W relu(k(x_n) + g(rel_kn)),
    value_kn likewise with v, where rel_kn is position n in slot k's frame."""

    def __init__(self, dim: int, iterations: int, hidden: int, eps: float = 1e-8):
        super().__init__(dim, iterations, hidden, eps)
        self.embed_relative = nn.Linear(2, dim)  # g
        self.mix = nn.Linear(dim, dim)  # W, shared by keys and values

    def forward(self, inputs: torch.Tensor, slots: torch.Tensor, frames: Frames, coords: torch.Tensor,
                implicit: bool = False) -> tuple[torch.Tensor, torch.Tensor, Frames]:
        """inputs (B, N, D), slots (B, K, D), their frames, coords (N, 2) of the inputs -> (slots, the last
        round's attention (B, K, N), the frames it gives). implicit: as SlotAttention's."""
        inputs = self.norm_inputs(inputs)
        keys, values = self.to_k(inputs), self.to_v(inputs)  # (B, N, D) each
        return self.iterate(slots, frames, implicit, lambda s, f: self._framed_round(s, f, keys, values, coords))

    def _framed_round(self, slots: torch.Tensor, frames: Frames, keys: torch.Tensor, values: torch.Tensor,
                      coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Frames]:
        b, k, d = slots.shape
        relative = self.embed_relative(frames.relative(coords))  # (B, K, N, D)
        keys_k = self.mix(F.relu(keys.unsqueeze(1) + relative))  # (B, K, N, D)
        values_k = self.mix(F.relu(values.unsqueeze(1) + relative))  # (B, K, N, D)
        queries = self.to_q(self.norm_slots(slots)) * self.scale  # (B, K, D)
        attention = torch.einsum("bkd,bknd->bkn", queries, keys_k).softmax(dim=1) + self.eps  # slots compete
        weights = attention / attention.sum(dim=2, keepdim=True)  # (B, K, N)
        updates = torch.einsum("bkn,bknd->bkd", weights, values_k)  # (B, K, D)
        positions = torch.einsum("bkn,nc->bkc", weights, coords)  # (B, K, 2)
        spread = torch.einsum("bkn,bknc->bkc", weights, (coords - positions.unsqueeze(2)) ** 2)  # (B, K, 2)
        frames = Frames(positions, (spread + 1e-8).sqrt().clamp(min=MIN_SCALE))
        slots = self.gru(updates.reshape(b * k, d), slots.reshape(b * k, d)).reshape(b, k, d)
        return slots + self.mlp(self.norm_mlp(slots)), attention, frames
