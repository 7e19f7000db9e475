"""Training settings the benchmarks share, and the config a benchmark run is trained from.

`bench likelihood` and `bench families` train the VAE alike; `bench compression`'s lossless part trains the
pixelcnn of `bench families` on MNIST. The settings live here so no benchmark imports another's privates.
"""

from __future__ import annotations

from genlab.benchmarks.budget import Budget
from genlab.config import DEFAULT_STEPS, RunConfig, load_config

# Per-dataset VAE sizes that train well on a laptop CPU.
VAE_SETTINGS = {
    "digits": {"channels": 32, "latent_dim": 16},
    "mnist": {"channels": 16, "latent_dim": 32},
    "mnist-binary": {"channels": 16, "latent_dim": 32},
}

# Settings per family for about ten CPU-minutes on 28x28 data, from short tuning runs on a 2-core machine.
# pixelcnn: three 3-minute mnist runs gave validation 1.269 (32 channels, 8 layers), 1.260 (48 channels,
# 6 layers) and 1.279 bits/dim (the 64-channel default at batch 16). The step budgets are the steps each
# family reached in the 10 minutes of the old time budget on the fastest machine measured (2 threads;
# benchmarks/results/families-mnist.md of commit e18c542), so the pages compare with the figures before.
# vae: free bits (0.25 nats per latent) because the plain ELBO at lr 2e-3 collapsed its posterior between steps
# 1,250 and 1,500 on one thread (KL 30 -> 0.3 nats, FD 122) where the same recipe on two threads had not: a
# chaotic recipe. With free bits: IWAE-100 1.294 bits/dim, FD 37.93; plain at lr 1e-3: 1.274, FD 36.55 (one
# seed each, docs/evaluation.md); free bits chosen because it makes collapse non-absorbing, not by luck.
FAMILY_SETTINGS: dict[str, dict] = {
    "vae": {"model": VAE_SETTINGS["mnist"] | {"free_bits": 0.25}, "training": {"steps": 7434}},
    "gan": {"model": {}, "training": {"steps": 6822, "batch_size": 32, "ema": 0.99}},
    "pixelcnn": {"model": {"channels": 48, "layers": 6}, "training": {"steps": 1402, "batch_size": 32}},
    "flow": {"model": {}, "training": {"steps": 2837, "batch_size": 32, "lr": 5e-3}},
    "diffusion": {"model": {}, "training": {"steps": 2309, "ema": 0.995}},
}


def family_config(data: str, family: str, settings: dict, *, budget: Budget, seed: int) -> RunConfig:
    """`family` on `data` with `settings` ({"model": {...}, "training": {...}}) under `budget` (the settings'
    own steps unless it names others; DEFAULT_STEPS where they name none), evaluated every 1,000 steps unless
    the settings say otherwise."""
    own = settings.get("training", {})
    training = {"eval_every": 1000} | own | budget.training(own.get("steps", DEFAULT_STEPS))
    return load_config(None, {"data": {"source": data}, "model": {"name": family, **settings.get("model", {})},
                              "training": training, "": {"seed": seed}})
