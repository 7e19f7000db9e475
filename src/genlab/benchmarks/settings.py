"""Training settings the benchmarks share, and the config a benchmark run is trained from.

`bench likelihood` and `bench families` train the VAE alike; `bench compression`'s lossless part trains the
pixelcnn of `bench families` on MNIST. The settings live here so no benchmark imports another's privates.
"""

from __future__ import annotations

from genlab.config import RunConfig, load_config

# Per-dataset VAE sizes that train well on a laptop CPU.
VAE_SETTINGS = {
    "digits": {"channels": 32, "latent_dim": 16},
    "mnist": {"channels": 16, "latent_dim": 32},
    "mnist-binary": {"channels": 16, "latent_dim": 32},
}

# Settings per family for a ten-CPU-minute budget on 28x28 data, from short tuning runs on a 2-core
# machine. pixelcnn: three 3-minute mnist runs gave validation 1.269 (32 channels, 8 layers), 1.260
# (48 channels, 6 layers) and 1.279 bits/dim (the 64-channel default at batch 16).
FAMILY_SETTINGS: dict[str, dict] = {
    "vae": {"model": VAE_SETTINGS["mnist"], "training": {}},
    "gan": {"model": {}, "training": {"batch_size": 32, "ema": 0.99}},
    "pixelcnn": {"model": {"channels": 48, "layers": 6}, "training": {"batch_size": 32}},
    "flow": {"model": {}, "training": {"batch_size": 32, "lr": 5e-3}},
    "diffusion": {"model": {}, "training": {"ema": 0.995}},
}


def family_config(data: str, family: str, settings: dict, *, minutes: float | None, seed: int) -> RunConfig:
    """`family` on `data` with `settings` ({"model": {...}, "training": {...}}) for a `minutes` budget (None:
    the settings' own budget), evaluated every 1,000 steps unless the settings say otherwise."""
    training = {"minutes": minutes, "eval_every": 1000} | settings.get("training", {})
    return load_config(None, {"data": {"source": data}, "model": {"name": family, **settings.get("model", {})},
                              "training": training, "": {"seed": seed}})
