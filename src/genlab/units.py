"""The one conversion between nats per example and bits per dimension, for floats and tensors alike."""

from __future__ import annotations

import math

LN2 = math.log(2.0)


def bits_per_dim(nats_per_example, dims: int):
    """nats / (dims * ln 2): what a model's log-likelihood (or a file size in nats) costs per sub-pixel."""
    return nats_per_example / (dims * LN2)


def nats_per_example(bits_per_dim_, dims: int):
    """The inverse: bits/dim back to nats per example."""
    return bits_per_dim_ * dims * LN2
