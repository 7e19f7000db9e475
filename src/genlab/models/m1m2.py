"""M1+M2 (Kingma et al. 2014, "Semi-supervised learning with deep generative models"): the M2 model stacked
on the latents of a VAE (M1) trained beforehand on every training image, labelled or not.

Two stages, each one `genlab train`: first a plain `vae` (M1, unsupervised: it ignores labels), then this
family with `--set model.features=RUN` naming that VAE's run folder. M1 is frozen; M2 learns from its
latents z1 ~ q(z1 | x), drawn afresh every step as in the paper:

    p(y) uniform,  p(z2) = N(0, I),  p(z1 | y, z2) = N(mu(y, z2), diag sigma^2(y, z2))
    q(y | z1),  q(z2 | z1, y)

each an MLP (the paper: one hidden layer of 500 softplus units; here two SiLU layers of `hidden`). Labelled
rows are scored by -ELBO(z1, y) + alpha CE, unlabelled ones by E_q(y|z1)[-ELBO(z1, y)] - H(q(y | z1)), as the
pixel-space M2 (models/ssvae.py). Latents separate the classes far better than pixels, so the classifier
q(y | z1) learns more from few labels: the paper's 100-label MNIST error is 3.33 % for M1+M2, 11.97 % for M2.

M1's weights are copied into this run's weights, but its architecture is read from its run folder, which must
stay where `model.features` says. The whole model is a generative model of images: labels and z2 give z1,
M1's decoder gives the image; its likelihood is a lower bound through both stages.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig
from genlab.models.bounds import gaussian_kl_to_standard, gaussian_log_density, unlabelled_bound
from genlab.models.ssvae import ALPHA_PER_DIM
from genlab.models.vae import VAE


class M1M2Config(ModelConfig):
    features: str = ""  # the run folder of a trained, unconditional vae on the same data (M1); required
    latent_dim: int = Field(16, gt=0)  # z2, beside the label
    hidden: int = Field(256, gt=0)  # width of every MLP layer
    classifier_weight: float | None = Field(None, gt=0)  # alpha; None: ALPHA_PER_DIM * the images' dims

    @field_validator("features")
    @classmethod
    def _absolute(cls, value: str) -> str:
        """Recorded absolute, so the run opens from any folder."""
        return str(Path(value).expanduser().resolve()) if value else value


def _mlp(width_in: int, hidden: int, width_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                         nn.Linear(hidden, width_out))


def _load_m1(config: M1M2Config, spec: DatasetSpec) -> VAE:
    """The frozen VAE named by model.features, checked to be a VAE of images like this dataset's."""
    from genlab.models.loading import load_named_run  # opens run folders, which needs the registry of families

    how = "train one first (genlab train --model vae --data ...) and pass --set model.features=RUN"
    if not config.features:
        raise UserError(f"Model m1m2 stacks M2 on a trained VAE (M1): {how}.")
    m1 = load_named_run("model.features", config.features, how).model
    if not isinstance(m1, VAE) or m1.is_conditional:
        raise UserError(f"model.features={config.features} is a {'conditional ' * m1.is_conditional}{m1.name} "
                        f"run; M1 must be an unconditional vae: {how}.")
    if (m1.spec.shape, m1.spec.levels) != (spec.shape, spec.levels):
        raise UserError(f"model.features={config.features} models {m1.spec.shape} images of {m1.spec.levels} "
                        f"levels, this data {spec.shape} of {spec.levels}: train M1 on the same data.")
    return m1.requires_grad_(False)


class M1M2(GenerativeModel):
    name = "m1m2"
    Config = M1M2Config
    semi_supervised = True
    needs_labels = True

    def __init__(self, spec: DatasetSpec, config: M1M2Config):
        super().__init__(spec, config)
        k = spec.num_classes
        self.alpha = config.classifier_weight if config.classifier_weight is not None else ALPHA_PER_DIM * spec.dims
        self.m1 = _load_m1(config, spec)
        d1, d2 = self.m1.config.latent_dim, config.latent_dim
        self.classifier = _mlp(d1, config.hidden, k)  # q(y | z1)
        self.encoder = _mlp(d1 + k, config.hidden, 2 * d2)  # q(z2 | z1, y)
        self.decoder = _mlp(d2 + k, config.hidden, 2 * d1)  # p(z1 | y, z2)

    def train(self, mode: bool = True) -> M1M2:
        """M1 stays in evaluation mode: it is frozen."""
        super().train(mode)
        self.m1.eval()
        return self

    # --- M1 ---------------------------------------------------------------------------------
    def _m1_latents(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z1 ~ q(z1 | x) (B, D1) and log q(z1 | x) (B,) from the frozen VAE."""
        with torch.no_grad():
            mu, log_var = self.m1.posterior(x)  # (B, D1) each
            z1 = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            return z1, gaussian_log_density(z1, mu, log_var)

    # --- M2 on z1 ---------------------------------------------------------------------------
    def _one_hot(self, y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return F.one_hot(y, self.num_classes).to(dtype)  # (N, K)

    def _neg_elbo(self, z1: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """-ELBO(z1, y) = -log p(z1 | y, z2) + KL(q(z2 | z1, y) || p(z2)) + log K, nats (N,) for N pairs."""
        one_hot = self._one_hot(y, z1.dtype)
        mu, log_var = self.encoder(torch.cat([z1, one_hot], 1)).chunk(2, dim=1)  # (N, D2) each
        log_var = log_var.clamp(-12.0, 8.0)
        z2 = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        mean, dec_log_var = self.decoder(torch.cat([z2, one_hot], 1)).chunk(2, dim=1)  # (N, D1) each
        recon = -gaussian_log_density(z1, mean, dec_log_var.clamp(-12.0, 8.0))
        return recon + gaussian_kl_to_standard(mu, log_var) + math.log(self.num_classes)

    def _neg_elbo_every_class(self, z1: torch.Tensor) -> torch.Tensor:
        """-ELBO(z1, y) for every class: (U, D1) -> (U, K)."""
        k = self.num_classes
        y = torch.arange(k, device=z1.device).repeat(len(z1))  # image-major
        return self._neg_elbo(z1.repeat_interleave(k, 0), y).view(-1, k)

    # --- protocol ---------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        """M2's objective on z1 ~ q(z1 | x): labelled rows -ELBO(z1, y) + alpha CE, unlabelled rows
        E_q(y|z1)[-ELBO(z1, y)] - H(q(y | z1)); nats per image dimension, like the other families."""
        x = batch["x"]  # (B, C, H, W)
        y = batch.get("y")
        y = torch.full((len(x),), -1, dtype=torch.long, device=x.device) if y is None else y.long()
        known = y >= 0  # (B,)
        z1, _ = self._m1_latents(x)  # (B, D1)
        logits = self.classifier(z1)  # (B, K)
        labelled = self._neg_elbo(z1[known], y[known])  # (L,)
        unlabelled = unlabelled_bound(self._neg_elbo_every_class(z1[~known]), logits[~known])  # (U,)
        ce = F.cross_entropy(logits[known], y[known], reduction="sum")  # 0 when L == 0
        n_known = int(known.sum())
        bound = torch.cat([labelled, unlabelled])  # (B,) nats of z1
        loss = (bound.sum() + self.alpha * ce) / (len(x) * self.spec.dims)
        with torch.no_grad():
            hits = (logits[known].argmax(1) == y[known]).float().sum()
            parts = {"z1_nats": bound.mean(), "ce": ce / max(n_known, 1), "accuracy": hits / max(n_known, 1),
                     "labelled": n_known / len(x)}
        return {"loss": loss} | parts

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of q(y | z1) at M1's posterior mean of each image."""
        return self.classifier(self.m1.encode(x))

    @torch.no_grad()
    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """y uniform (or the labels given (n,)), z2 ~ N(0, temperature^2 I), z1 ~ p(z1 | y, z2) (its spread
        scaled alike), then M1's decoder and head at the same temperature."""
        y = torch.randint(0, self.num_classes, (n,), device=self.device) if condition is None else condition.long()
        z2 = temperature * torch.randn(n, self.config.latent_dim, device=self.device)
        mean, log_var = self.decoder(torch.cat([z2, self._one_hot(y, z2.dtype)], 1)).chunk(2, dim=1)  # (n, D1)
        z1 = mean + temperature * torch.exp(0.5 * log_var.clamp(-12.0, 8.0)) * torch.randn_like(mean)
        return self.m1.head.sample(self.m1.decoder(z1), temperature)

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition: torch.Tensor | None = None, **options) -> LogLikelihood:
        """log p(x) >= E_q(z1|x)[log p(x | z1) - log q(z1 | x) - M2's negative bound on z1] with one draw of z1;
        with labels (B,), M2's bound is that of (z1, y) and the result bounds log p(x | y) (log p(y) left out)."""
        z1, log_q1 = self._m1_latents(x)  # (B, D1), (B,)
        log_lik = self.m1.head.log_prob(self.m1.decoder(z1), x)  # (B,) log p(x | z1)
        if condition is not None:
            m2 = self._neg_elbo(z1, condition.long()) - math.log(self.num_classes)
        else:
            m2 = unlabelled_bound(self._neg_elbo_every_class(z1), self.classifier(z1))
        return LogLikelihood(log_lik - log_q1 - m2, "elbo")
