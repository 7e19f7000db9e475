"""The feature space sample-quality metrics are measured in: a classifier trained on the same dataset.

Trained once per (dataset, split seed, seed) on demand and cached, so every run of a dataset is measured
with the same features; nothing is downloaded. The cache lives in $GENLAB_CACHE, else ~/.cache/genlab.
It always trains on one torch thread: a float sum splits differently over two threads, so a classifier
trained where two were free had other weights, and the real data's FD floor on MNIST read 0.87 on one
machine and 1.01 on another. On one thread the same seed gives the same weights on any machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from genlab.config import DataConfig, load_config
from genlab.data import load_data
from genlab.files import cache_root
from genlab.models.loading import Run, load_run
from genlab.runs import RunFolder
from genlab.training.run import train
from genlab.training.threads import torch_threads

FEATURE_CLASSIFIER_VERSION = 2  # bump when the classifier's architecture or recipe changes (2: one thread)
TRAINING_THREADS = 1
FEATURE_EPOCHS = 30
MIN_STEPS, MAX_STEPS = 500, 3000
# Clips' classifiers learn at half the images' learning rate: on followed moving-mnist digits (55 digit pairs) one
# trained at the default 2e-3 still sat at chance (ln 55 nats) after 900 steps; at 1e-3 it was right on 59 % of
# a training batch at step 625 and on 56.5 % of real test clips after 3,000 (one try each).
CLIP_LR = 1e-3


def _key(data: DataConfig, seed: int) -> str:
    source = data.source
    if Path(source).exists():
        source = str(Path(source).resolve())
    described = json.dumps({"data": data.model_dump(mode="json") | {"source": source}, "seed": seed,
                            "version": FEATURE_CLASSIFIER_VERSION}, sort_keys=True)
    name = Path(source).name if Path(source).exists() else source
    return f"{name}-{hashlib.sha256(described.encode()).hexdigest()[:12]}"


def feature_classifier(data: DataConfig, seed: int = 0, *, device: str = "cpu", quiet: bool = True) -> Run:
    """The cached classifier run for this dataset, on `device`, trained now if it is not cached yet."""
    data = data.model_copy(update={"labels_per_class": None})  # features learn from every label
    folder = cache_root() / "classifiers" / _key(data, seed)
    if not RunFolder(folder).has_weights():
        loaded = load_data(data)
        train_size = len(loaded.train)
        batch = min(64, train_size)  # a small dataset (a user's few clips) in whole batches
        lr = {"lr": CLIP_LR} if loaded.spec.modality == "video" else {}
        steps = int(np.clip(FEATURE_EPOCHS * train_size // batch, MIN_STEPS, MAX_STEPS))
        config = load_config(None, {"data": data.model_dump(), "model": {"name": "classifier"},
                                    "training": {"steps": steps, "batch_size": batch, "eval_every": steps,
                                                 "weight_decay": 5e-4, **lr},
                                    "": {"seed": seed}})
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        try:
            with torch_threads(TRAINING_THREADS):
                train(config, staging / "run", quiet=quiet, created_by="feature-classifier")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging / "run", folder)  # whole or not at all, also when two processes race
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return load_run(folder, device=device)
