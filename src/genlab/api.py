"""The Python API the CLI and notebooks share: train, load a run, sample, evaluate."""

from __future__ import annotations

import inspect
import math
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import genlab
from genlab.config import DataConfig, RunConfig, TrainingConfig
from genlab.data import BUILTINS, load_dataset
from genlab.data.labels import HIDDEN, balance_labelled, hide_labels, labelled_only
from genlab.data.spec import Dataset, DatasetSpec, Split
from genlab.errors import UserError
from genlab.evaluation.baselines import lossless_baselines
from genlab.evaluation.likelihood import bits_per_dim, split_log_likelihood
from genlab.models.base import GenerativeModel
from genlab.models.registry import build_model
from genlab.training import checkpoint
from genlab.training.distributed import close_world, init_world
from genlab.training.trainer import Trainer, TrainResult, seed_everything

BUDGET_KEYS = ("steps", "epochs", "minutes")


def _device(name: str, world_rank: int) -> torch.device:
    if name == "cuda":
        if not torch.cuda.is_available():
            raise UserError("training.device is 'cuda' but no CUDA device is visible: use --device cpu.")
        return torch.device("cuda", world_rank % torch.cuda.device_count())
    return torch.device("cpu")


def load_data(data: DataConfig, seed: int = 0) -> Dataset:
    """The dataset a config names; with labels_per_class, the training labels beyond that many per class
    (chosen by `seed`) are hidden as -1."""
    dataset = load_dataset(data.source, split_seed=data.split_seed, channels=data.channels, size=data.size)
    if data.labels_per_class:
        dataset.train = hide_labels(dataset.train, data.labels_per_class, seed)
    return dataset


def _training_split(model: GenerativeModel, train: Split) -> Split:
    """What a model trains on when some labels are hidden: a semi-supervised model sees everything (labelled
    examples repeated to half of it), a classifier or conditional model only the labelled examples, and an
    unconditional generative model all images (it ignores labels)."""
    if train.y is None or not (train.y == HIDDEN).any():
        return train
    if model.semi_supervised:
        return balance_labelled(train)
    if model.can_classify or model.is_conditional:
        return labelled_only(train)
    return train


def _resolved_config(config: RunConfig, model: GenerativeModel, data: Dataset, world_size: int, created_by: str) -> dict:
    resolved = config.model_copy(deep=True)
    resolved.model = type(config.model)(name=model.name, **model.config.model_dump())
    if Path(config.data.source).exists() and config.data.source not in BUILTINS:
        resolved.data.source = str(Path(config.data.source).resolve())  # so the run opens from any folder
    return {
        "config": resolved.model_dump(mode="json"),
        "dataset": data.spec.to_dict(),
        "model": {"name": model.name, "parameters": sum(p.numel() for p in model.parameters()),
                  "capabilities": model.capabilities()},
        "world_size": world_size,
        "created_by": created_by,
        "versions": {"genlab": genlab.__version__, "torch": torch.__version__, "python": platform.python_version()},
    }


def train(config: RunConfig, out: Path, *, resume: bool = False, budget: dict | None = None, quiet: bool = False,
          stop_at_step: int | None = None, created_by: str = "train") -> TrainResult:
    """Train a model into run folder `out` (or continue it with resume=True, optionally with a new budget)."""
    out = Path(out)
    if resume:
        if not (out / checkpoint.CONFIG_FILE).exists():
            raise UserError(f"{out} holds no run to resume: check --out, or train a new run without --resume.")
        previous = checkpoint.read_json(out / checkpoint.CONFIG_FILE)
        config, created_by = RunConfig.model_validate(previous["config"]), previous.get("created_by", created_by)
        if budget and any(budget.get(k) is not None for k in BUDGET_KEYS):
            fields = config.training.model_dump() | {k: budget.get(k) for k in BUDGET_KEYS}
            config.training = TrainingConfig.model_validate(fields)
    elif (out / checkpoint.CONFIG_FILE).exists() or (out / checkpoint.MODEL_FILE).exists():
        raise UserError(f"{out} already holds a run: pass --resume to continue it, or choose another --out.")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder: choose another --out.")
    fresh_folder = not out.exists()
    world = init_world(config.training.device)
    try:
        device = _device(config.training.device, world.rank)
        data = load_data(config.data, config.seed)
        for note in data.spec.notes:
            if world.is_main and not quiet:
                print(f"note: {note}")
        seed_everything(config.seed)
        model = build_model(config.model.name, data.spec, config.model.options).to(device)
        data.train = _training_split(model, data.train)
        trainer = Trainer(config, data, model, out, world, device, quiet=quiet)
        if resume:
            trainer.resume()
        if world.is_main:
            info = _resolved_config(config, model, data, world.size, created_by)
            checkpoint.write_json(out / checkpoint.CONFIG_FILE, info)
        world.barrier()
        return trainer.run(stop_at_step)
    except BaseException:
        # A run that never reached its first checkpoint is no run: leave nothing behind.
        if world.is_main and fresh_folder and not (out / checkpoint.MODEL_FILE).exists():
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        close_world(world)


@dataclass
class Run:
    """A trained run folder opened for use: its config, dataset spec and model (EMA weights if any)."""

    path: Path
    config: RunConfig
    spec: DatasetSpec
    model: GenerativeModel
    step: int
    info: dict

    def dataset(self) -> Dataset:
        return load_data(self.config.data, self.config.seed)


def load_run(path: Path, use_ema: bool = True) -> Run:
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"Run folder {path} does not exist: train one with `genlab train --out {path}`.")
    info = checkpoint.read_json(path / checkpoint.CONFIG_FILE)
    try:
        config = RunConfig.model_validate(info["config"])
        ds = info["dataset"]
        spec = DatasetSpec(ds["name"], tuple(ds["shape"]), ds["levels"], ds["num_classes"],
                           tuple(ds["class_names"]) if ds["class_names"] else None)
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path / checkpoint.CONFIG_FILE} is not a genlab run config: the run folder is damaged.") from None
    model = build_model(config.model.name, spec, config.model.options)
    _, meta = checkpoint.load_model_weights(path, model, use_ema=use_ema)
    model.eval()
    return Run(path, config, spec, model, int(meta.get("step", 0)), info)


SAMPLE_CHUNK = 256


def _check_sample_options(model: GenerativeModel, options: dict) -> dict:
    """Drop unset options; refuse ones this family's sampler does not take (e.g. --guidance for a VAE)."""
    options = {k: v for k, v in options.items() if v is not None}
    accepted = inspect.signature(model.sample).parameters
    for key in options:
        if key not in accepted:
            raise UserError(f"--{key} does not apply to model {model.name}: drop it.")
    return options


def sample(run: Run, n: int, *, seed: int = 0, labels: np.ndarray | None = None, **options) -> np.ndarray:
    """n new examples as integer levels (n, C, H, W), reproducible by seed. Conditional runs take one
    label per example; options (temperature, steps, guidance, ...) go to the family's sampler."""
    model = run.model
    if not model.can_sample:
        raise UserError(f"Model {model.name} in {run.path} does not generate samples.")
    if n <= 0:
        raise UserError(f"Number of samples {n} must be positive: pass -n 64, for example.")
    options = _check_sample_options(model, options)
    if model.is_conditional and labels is None:
        labels = np.arange(n) % model.num_classes
    if labels is not None and not model.is_conditional:
        raise UserError(f"Run {run.path} was not trained with --conditional, so it takes no --label.")
    out = []
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        for start in range(0, n, SAMPLE_CHUNK):
            count = min(SAMPLE_CHUNK, n - start)
            cond = None if labels is None else torch.as_tensor(labels[start : start + count]).long().to(model.device)
            out.append(model.sample(count, cond, **options).cpu().numpy())
    return np.concatenate(out)


def sample_grid(run: Run, n: int, *, seed: int = 0, label: int | None = None, **options) -> tuple[np.ndarray, int]:
    """Samples laid out for a grid, and the grid's row length: one row per class for a conditional run
    when no label is asked for, else a square-ish grid."""
    model = run.model
    if label is not None and model.is_conditional and not 0 <= label < model.num_classes:
        raise UserError(f"--label {label} is not a class of {run.spec.name}: use 0..{model.num_classes - 1}.")
    if model.is_conditional and label is None:
        per_class = max(1, math.ceil(n / model.num_classes))
        labels = np.repeat(np.arange(model.num_classes), per_class)
        return sample(run, len(labels), seed=seed, labels=labels, **options), per_class
    labels = None if label is None else np.full(n, label)
    return sample(run, n, seed=seed, labels=labels, **options), math.ceil(math.sqrt(n))


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of a and b (B, D) at fractions t (T,): (B, T, D).
    Keeps the norm typical of Gaussian latents, unlike a straight line (White 2016)."""
    a, b, t = a.flatten(1).unsqueeze(1), b.flatten(1).unsqueeze(1), t.view(1, -1, 1)
    cos = (a * b).sum(-1, keepdim=True) / (a.norm(dim=-1, keepdim=True) * b.norm(dim=-1, keepdim=True)).clamp_min(1e-12)
    theta = torch.arccos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
    return (torch.sin((1 - t) * theta) * a + torch.sin(t * theta) * b) / torch.sin(theta)


def interpolate(run: Run, x: np.ndarray, y: np.ndarray | None = None, *, steps: int = 10, seed: int = 0) -> np.ndarray:
    """Walk the latent space between consecutive pairs of images x (2P, C, H, W): (P * steps, C, H, W)."""
    model = run.model
    if not model.has_latent:
        raise UserError(f"Model {model.name} has no latent space to interpolate in: drop --interpolate.")
    pairs = len(x) // 2
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        xt = torch.from_numpy(x[: 2 * pairs]).long().to(model.device)
        cond = torch.from_numpy(y[: 2 * pairs]).long().to(model.device) if model.is_conditional else None
        z = model.encode(xt, cond)
        path = slerp(z[0::2], z[1::2], torch.linspace(0, 1, steps, device=z.device))  # (P, steps, D)
        path = path.reshape(pairs * steps, *z.shape[1:])
        labels = None if cond is None else cond[0::2].repeat_interleave(steps)
        return model.decode(path, labels).cpu().numpy()


def _likelihood(model: GenerativeModel, split: Split, dims: int, iwae_k: int, seed: int) -> dict:
    """Negative log-likelihood estimates of a split (each bound named), the best of them in bits/dim."""
    if not model.has_likelihood:
        return {"bits_per_dim": None, "bound": None, "note": f"{model.name} declares no likelihood"}
    estimates = {}
    nats, bound = split_log_likelihood(model, split.x, split.y, seed=seed)
    estimates[bound] = -nats.mean()
    if model.has_importance_bound and iwae_k > 1:
        nats, bound = split_log_likelihood(model, split.x, split.y, seed=seed, k=iwae_k, batch_size=max(1, 2000 // iwae_k))
        estimates[bound] = -nats.mean()
    best = min(estimates, key=estimates.get)
    return {
        "bits_per_dim": bits_per_dim(estimates[best], dims), "bound": best, "nats_per_example": float(estimates[best]),
        "estimates": {k: {"nats_per_example": float(v), "bits_per_dim": bits_per_dim(v, dims)} for k, v in estimates.items()},
        "bound_note": "negative log-likelihood of the discrete test images; a bound (elbo, iwae-k, vlb) is an upper "
                      "bound on the true bits/dim, 'exact' is exact",
    }


def evaluate(run: Run, *, iwae_k: int = 100, split: str = "test", seed: int = 0, write: bool = True,
             samples: int | None = 1000, classify: bool = False) -> dict:
    """Everything genlab measures about a run on a held-out split, written to evaluation.json:
    - likelihood: nats/example and bits/dim (ELBO and IWAE-k where they apply), beside what the same images
      cost as individual PNG and WebP-lossless files;
    - accuracy of a model that predicts labels; with classify=True, the Bayes-rule accuracy of a
      class-conditional likelihood model;
    - for `samples` > 0 samples: FD, KID, precision/recall, density/coverage in a classifier's features, the
      real split's own figures as the floor, and novelty against the training set (novelty.png)."""
    from genlab.evaluation.bayes import bayes_accuracy, log_prior
    from genlab.evaluation.features import accuracy
    from genlab.evaluation.samples import sample_evaluation

    model, data = run.model, run.dataset()
    held_out = data.split(split)
    result: dict = {"run": str(run.path), "step": run.step, "split": split, "examples": len(held_out),
                    "dims": run.spec.dims, "model": model.name}
    if classify:  # first: a run that cannot classify this way is refused before any long computation
        result["bayes_accuracy"], result["bayes_bound"] = bayes_accuracy(
            model, held_out.x, held_out.y, log_prior(data.train.y, model.num_classes), seed=seed)
    result |= _likelihood(model, held_out, run.spec.dims, iwae_k, seed)
    if model.can_classify:
        result["accuracy"] = accuracy(model, held_out.x, held_out.y)
    if model.is_codec:
        from genlab.apps.compression.lossy import evaluate_split

        result["codec"] = evaluate_split(model, held_out.x)
    if samples and model.can_sample:
        result["samples"] = sample_evaluation(run, data, samples, split=split, seed=seed,
                                              picture=run.path / "novelty.png" if write else None)
    result["baselines"] = lossless_baselines(held_out.x, run.spec.levels)
    if write:
        checkpoint.write_json(run.path / "evaluation.json", result)
    return result


def compare(paths: list[Path], out: Path, *, seed: int = 0) -> Path:
    """comparison.md in `out` over runs of one dataset: each run's evaluation.json (evaluated now if it is
    missing or older than the run's weights), a bits/dim chart and the runs' sample grids side by side."""
    from genlab.viz.comparison import write_comparison

    if not paths:
        raise UserError("genlab compare needs at least one run folder.")
    runs = [load_run(p) for p in paths]
    for other in runs[1:]:
        if other.spec.to_dict() != runs[0].spec.to_dict() or other.config.data.split_seed != runs[0].config.data.split_seed:
            raise UserError(f"{other.path} models {other.spec.name} (split seed {other.config.data.split_seed}), "
                            f"{runs[0].path} models {runs[0].spec.name} (split seed {runs[0].config.data.split_seed}): "
                            "compare runs of the same dataset and split.")
    results = []
    for run in runs:
        saved = run.path / "evaluation.json"
        result = checkpoint.read_json(saved) if saved.exists() else None
        if result is None or result.get("step") != run.step:
            result = evaluate(run, seed=seed)
        results.append(result)
    names = [run.path.name for run in runs]
    if len(set(names)) < len(names):
        names = [str(run.path) for run in runs]
    grids = [sample_grid(run, 64, seed=seed)[0] if run.model.can_sample else None for run in runs]
    return write_comparison(names, results, grids, runs[0].spec.levels, out)


def remove_demo_run(out: Path) -> None:
    """Clear a folder a previous `genlab demo` made; refuse to touch anything else."""
    if not out.exists():
        return
    config = out / checkpoint.CONFIG_FILE
    if not config.exists() or checkpoint.read_json(config).get("created_by") != "demo":
        raise UserError(f"{out} exists and was not made by `genlab demo`: choose another --out.")
    shutil.rmtree(out)
