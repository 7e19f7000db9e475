"""The traversal picture of a run (`genlab traverse`, and the report of a run on data with factors), with the
factor map beside it where the data has ground-truth factors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.config import check_seed
from genlab.errors import UserError
from genlab.files import output_path
from genlab.media.grids import save_png
from genlab.media.traversal import traversal_picture
from genlab.metrics.disentanglement import factor_information
from genlab.models.batched import encoded
from genlab.models.loading import Run
from genlab.sampling import traversals

KL_EXAMPLES = 2000  # test examples each latent's mean KL is measured on
FACTOR_EXAMPLES = 10_000  # examples the factor map bins, as MIG's num_train


def write_traversal(run: Run, output: Path, *, images: int = 3, steps: int = 9, span: float = 2.0, seed: int = 0,
                    split: str = "test", factors: tuple[list[str], np.ndarray] | None = None) -> Path:
    """Traverse every latent around the codes of `images` test examples (chosen by `seed`) and write the
    picture to `output` (.png), rows ordered by each latent's mean KL over the split; `factors`: the split's
    factor_map when the caller has it already (else computed here)."""
    output = output_path(output, (".png",), "the traversal picture")
    if images < 1:
        raise UserError(f"--images {images} must be at least 1.")
    check_seed(seed)
    held_out = run.dataset().split(split)
    chosen = np.sort(np.random.default_rng(seed).permutation(len(held_out))[:images])
    sweeps, kl, latents = traversals(run, held_out.x[chosen], steps=steps, span=span,
                                     kl_examples=held_out.x[:KL_EXAMPLES])
    factors = factors or factor_map(run, held_out)
    save_png(traversal_picture(sweeps, run.spec.levels, kl, latents,
                               None if factors is None else (factors[0], factors[1][latents])), output)
    return output


def factor_map(run: Run, split) -> tuple[list[str], np.ndarray] | None:
    """(the factors' names, each latent's share of each factor's entropy (D, K)) on the first FACTOR_EXAMPLES
    examples of `split` (metrics/disentanglement.py factor_information), or None for data without factors."""
    if not any(extra.name == "factors" for extra in run.spec.extras):
        return None
    n = min(FACTOR_EXAMPLES, len(split))
    names = run.spec.extra("factors").names
    shares = factor_information(encoded(run.model, split.x[:n]), np.asarray(split.extras["factors"][:n]))
    return list(names or (f"v{k}" for k in range(shares.shape[1]))), shares
