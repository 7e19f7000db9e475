"""Semi-supervised label handling: hide most labels of a split, and rebalance so batches still carry labels.

A hidden label is -1 in `Split.y`. Models that declare `semi_supervised` learn from every example and use
the label only where it is not -1; everything else (a classifier, a conditional model) should train on
`labelled_only(split)`. Numpy only: preparing data must not pay for importing torch.
"""

from __future__ import annotations

import numpy as np

from genlab.errors import UserError

from .spec import Split

HIDDEN = -1  # the label value that means "not known"


def hide_labels(split: Split, per_class: int, seed: int) -> Split:
    """Keep exactly `per_class` labels of each class (chosen by `seed`), set every other label to -1.

    The images and extras are shared with `split`, not copied; the labels are a new array.
    """
    if split.y is None:
        raise UserError("This split has no labels to keep: semi-supervised training needs labelled data "
                        "(class subfolders, or y in an .npz).")
    if per_class < 1:
        raise UserError(f"Labels per class {per_class} keeps no labels: use 1 or more.")
    rng = np.random.default_rng(seed)
    keep = []
    for label in np.unique(split.y[split.y != HIDDEN]):  # sorted, so the draws do not depend on data order
        where = np.flatnonzero(split.y == label)
        if len(where) < per_class:
            raise UserError(f"Class {label} has only {len(where)} labelled examples, fewer than the {per_class} "
                            f"labels per class asked for: use at most {len(where)}.")
        keep.append(rng.choice(where, size=per_class, replace=False))
    keep = np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
    y = np.full_like(split.y, HIDDEN)
    y[keep] = split.y[keep]
    return split.with_labels(y)


def labelled_only(split: Split) -> Split:
    """The examples whose label is known (not -1), in their original order, with their extras.

    A split with every label known comes back unchanged (not copied: its x may be a memory-mapped cache)."""
    if split.y is None:
        return split.take(slice(0, 0)).with_labels(np.zeros(0, dtype=np.int64))
    known = split.y != HIDDEN
    if known.all():
        return split
    return split.take(known)


def measured_only(split: Split, column: int) -> Split:
    """The examples whose property `column` was measured (not NaN), in their original order; a split with
    every one measured comes back unchanged."""
    measured = np.isfinite(split.extras["properties"][:, column])
    return split if measured.all() else split.take(measured)


def balance_labelled(split: Split) -> Split:
    """Every example, plus the labelled ones repeated so they are about half of the result (extras too).

    With a handful of labels among thousands of images, random batches would almost never hold a labelled
    example; repeating them plays the role of Kingma et al.'s separate labelled batches without a second
    data stream. A split with no hidden labels (or no known ones) comes back unchanged.
    """
    if split.y is None:
        return split
    known = np.flatnonzero(split.y != HIDDEN)
    hidden = len(split) - len(known)
    if hidden == 0 or len(known) == 0:
        return split
    copies = max(1, round(hidden / len(known)))  # labelled examples appear this many times in all
    extra = np.tile(known, copies - 1)  # (len(known) * (copies - 1),)
    index = np.concatenate([np.arange(len(split)), extra])
    return split.take(index)


def hide_properties(split: Split, keep: int, seed: int) -> Split:
    """Keep the measured properties of `keep` examples (chosen by `seed`) and set every other one to NaN, as
    if unmeasured: a regression learns from few measurements (a semi-supervised one from the rest too)."""
    if "properties" not in split.extras:
        raise UserError("This data has no measured properties to keep: --set data.labelled needs molecules with "
                        "a numeric column (a .csv) or chembl-assay.")
    measured = np.flatnonzero(np.isfinite(split.extras["properties"]).all(axis=1))
    if not 0 < keep <= len(measured):
        raise UserError(f"data.labelled={keep}: the training split has {len(measured)} measured examples; keep "
                        f"between 1 and {len(measured)}.")
    kept = np.sort(np.random.default_rng(seed).choice(measured, size=keep, replace=False))
    properties = np.full_like(split.extras["properties"], np.nan, dtype=np.float64)
    properties[kept] = split.extras["properties"][kept]
    return Split(split.x, split.y, split.extras | {"properties": properties})
