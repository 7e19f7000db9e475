"""Slot attention (Locatello et al. 2020): K slots compete for N inputs over a few rounds; each round every
input's attention is a softmax over the slots, each slot takes the weighted mean of the inputs it won, and a
GRU and a residual MLP update it from that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn


class SlotAttention(nn.Module):
    """K slots (B, K, D) refined by `iterations` rounds of attention over inputs (B, N, D)."""

    def __init__(self, dim: int, iterations: int, hidden: int, eps: float = 1e-8):
        super().__init__()
        self.iterations, self.eps, self.scale = iterations, eps, dim**-0.5
        self.norm_inputs, self.norm_slots, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.gru = nn.GRUCell(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, inputs: torch.Tensor, slots: torch.Tensor, implicit: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """(slots (B, K, D), the last round's attention (B, K, N), each input's shares over the slots).
        implicit: the rounds before the last without a gradient, the last from their detached result, with the
        starting slots' gradient passed straight through (Chang et al. 2022; BO-QSA)."""
        inputs = self.norm_inputs(inputs)
        keys, values = self.to_k(inputs), self.to_v(inputs)  # (B, N, D) each
        slots, attention, _ = self.iterate(slots, None, implicit, lambda s, _: (*self._round(s, keys, values), None))
        return slots, attention

    def iterate(self, slots: torch.Tensor, state: Any, implicit: bool,
                one_round: Callable[[torch.Tensor, Any], tuple[torch.Tensor, torch.Tensor, Any]]
                ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """`iterations` rounds of one_round(slots, state) -> (slots, attention, state); implicit: the rounds
        before the last without a gradient, the last from their result detached (state too, by its .detach()),
        with the starting slots' gradient passed straight through."""
        start = slots
        for i in range(self.iterations):
            last = i == self.iterations - 1
            if implicit and last:
                slots = slots.detach() + (start - start.detach())  # the value of the rounds, the start's gradient
                state = None if state is None else state.detach()
            with torch.set_grad_enabled(torch.is_grad_enabled() and (last or not implicit)):
                slots, attention, state = one_round(slots, state)
        return slots, attention, state

    def _round(self, slots: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """One round: slots (B, K, D) attend to keys and values (B, N, D); the slots after it and the attention."""
        b, k, d = slots.shape
        queries = self.to_q(self.norm_slots(slots)) * self.scale  # (B, K, D)
        attention = torch.einsum("bkd,bnd->bkn", queries, keys).softmax(dim=1) + self.eps  # slots compete
        weights = attention / attention.sum(dim=2, keepdim=True)  # (B, K, N): a weighted mean per slot
        updates = torch.einsum("bkn,bnd->bkd", weights, values)  # (B, K, D)
        slots = self.gru(updates.reshape(b * k, d), slots.reshape(b * k, d)).reshape(b, k, d)
        return slots + self.mlp(self.norm_mlp(slots)), attention
