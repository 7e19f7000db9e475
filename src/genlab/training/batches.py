"""Which examples each process sees at each step, as a pure function of (seed, step).

Every global batch is a slice of a seeded per-epoch permutation and is cut into equal shards, one per
(process, micro-batch). Unlike torch's DistributedSampler (which interleaves and pads), this makes the
examples of a global batch the same for any number of processes, and resuming at step s needs no
sampler state: the order is recomputed.
"""

from __future__ import annotations

import torch

from genlab.errors import UserError


class GlobalBatches:
    def __init__(self, num_examples: int, batch_size: int, shards: int, seed: int):
        if batch_size % shards:
            raise UserError(
                f"Batch size {batch_size} does not split into {shards} equal shards (processes x accumulate): "
                "choose a multiple."
            )
        if num_examples < batch_size:
            raise UserError(
                f"Batch size {batch_size} is larger than the {num_examples} training examples: lower --batch-size."
            )
        self.num_examples, self.batch_size, self.shards, self.seed = num_examples, batch_size, shards, seed
        self.steps_per_epoch = num_examples // batch_size  # the incomplete tail batch is dropped
        self._epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.num_examples, generator=gen)  # cpu: host indices
        return self._perm

    def shard(self, step: int, shard: int) -> torch.Tensor:
        """Indices of one shard of the global batch taken at `step`."""
        epoch, pos = divmod(step, self.steps_per_epoch)
        size = self.batch_size // self.shards
        start = pos * self.batch_size + shard * size
        return self._permutation(epoch)[start : start + size]


def shard_seed(seed: int, step: int, shard: int) -> int:
    """Seed for the model's own randomness (latent noise, dropout) on one shard at one step."""
    return (seed * 1_000_003 + step) * 1_009 + shard
