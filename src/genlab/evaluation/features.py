"""The feature space sample-quality metrics are measured in: a classifier trained on the same dataset.

Trained once per (dataset, split seed, seed) on demand and cached, so every run of a dataset is measured
with the same features; nothing is downloaded. The cache lives in $GENLAB_CACHE, else ~/.cache/genlab.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from genlab.config import DataConfig, load_config

FEATURE_CLASSIFIER_VERSION = 1  # bump when the classifier's architecture or recipe changes
FEATURE_EPOCHS = 30
MIN_STEPS, MAX_STEPS = 500, 3000


def cache_root() -> Path:
    return Path(os.environ.get("GENLAB_CACHE") or Path.home() / ".cache" / "genlab")


def _key(data: DataConfig, seed: int) -> str:
    source = data.source
    if Path(source).exists():
        source = str(Path(source).resolve())
    described = json.dumps({"data": data.model_dump(mode="json") | {"source": source}, "seed": seed,
                            "version": FEATURE_CLASSIFIER_VERSION}, sort_keys=True)
    name = Path(source).name if Path(source).exists() else source
    return f"{name}-{hashlib.sha256(described.encode()).hexdigest()[:12]}"


def feature_classifier(data: DataConfig, seed: int = 0, *, quiet: bool = True):
    """The cached classifier run for this dataset (genlab.api.Run), trained now if it is not cached yet."""
    from genlab import api

    data = data.model_copy(update={"labels_per_class": None})  # features learn from every label
    folder = cache_root() / "classifiers" / _key(data, seed)
    if not (folder / "model.safetensors").exists():
        train_size = len(api.load_data(data).train)
        steps = int(np.clip(FEATURE_EPOCHS * train_size // 64, MIN_STEPS, MAX_STEPS))
        config = load_config(None, {"data": data.model_dump(), "model": {"name": "classifier"},
                                    "training": {"steps": steps, "batch_size": 64, "eval_every": steps,
                                                 "weight_decay": 5e-4},
                                    "": {"seed": seed}})
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        try:
            api.train(config, staging / "run", quiet=quiet, created_by="feature-classifier")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging / "run", folder)  # whole or not at all, also when two processes race
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return api.load_run(folder)


@torch.no_grad()
def features(classifier, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Penultimate-layer features (N, D) float64 of integer-level images x (N, C, H, W)."""
    model = classifier.model.eval()
    out = [model.features(torch.from_numpy(x[i : i + batch_size]).long().to(model.device)).double().cpu().numpy()
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


@torch.no_grad()
def accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Share of images x whose predicted class (a model with classify()) is y."""
    model.eval()
    hits = sum(int((model.classify(torch.from_numpy(x[i : i + batch_size]).long().to(model.device)).argmax(1).cpu().numpy()
                    == y[i : i + batch_size]).sum()) for i in range(0, len(x), batch_size))
    return hits / len(x)
