"""Semi-supervised VAE: the M2 model of Kingma et al. 2014, "Semi-supervised learning with deep generative
models".

The label is a latent variable that is sometimes observed: p(x, y, z) = p(y) p(z) p(x | y, z) with p(y)
uniform over the K classes and p(z) = N(0, I). Inference has a classifier q(y | x) and an encoder
q(z | x, y). A labelled image is scored by the ELBO of (x, y); an unlabelled one by summing that ELBO over
every class, weighted by q(y | x), plus the entropy of q(y | x), so unlabelled images teach the classifier
which label explains them best. Because the ELBO alone gives the classifier no direct signal from the
labels, a cross-entropy term weighted by `classifier_weight` (the paper's alpha) is added on labelled rows.

Hidden labels are -1 in batch["y"]; a batch may hold any mix. The training split usually comes from
genlab.data.labels: `hide_labels` keeps k labels per class, `balance_labelled` repeats them so random
batches carry some (the paper draws separate labelled batches instead).

- q(y | x): a small conv net (the VAE encoder's pyramid) and a linear layer to K logits.
- q(z | x, y): the VAE's conv encoder; the one-hot y joins the flattened features before the linear
  layer that gives the Gaussian's mean and log-variance. The conv features are computed once per image and
  shared by all K label hypotheses.
- p(x | y, z): the VAE's conv decoder from [z, one-hot y], ending in its discrete head (categorical or
  discretised logistic mixture), so the bound is on the probability of the integer levels themselves.

M1+M2, the paper's best model (M2 stacked on the latents of a separately trained VAE), is models/m1m2.py;
the paper's MLP variant of M2 on pixels is not built.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig, to_unit_range
from genlab.models.bounds import gaussian_kl_to_standard, unlabelled_bound
from genlab.models.conv_parts import ConvDecoder, Pyramid, conv_encoder
from genlab.models.likelihoods import make_head
from genlab.units import bits_per_dim

# Default alpha per data dimension. The cross-entropy is a few nats per labelled image while -ELBO grows with
# the image's dimension count, so a fixed alpha would matter less and less as images grow; scaling with dims
# keeps the balance. Pyro's SS-VAE uses 46 on binarised MNIST (784 dims), 0.06 per dim; Kingma et al.'s
# alpha = 0.1 N is a different normalisation (a mean over labelled examples against a sum over all N). We
# use a round 0.1 per dim (6.4 on the 8x8 digits, 78 on MNIST), near Pyro's. It is not a sensitive choice on
# digits with 5 labels per class: alpha 2, 6.4 and 20 reached 0.81, 0.84 and 0.82 validation accuracy (one seed).
ALPHA_PER_DIM = 0.1


class SSVAEConfig(ModelConfig):
    latent_dim: int = Field(16, gt=0)  # z beside the label; small, so the class is cheaper to carry in y
    channels: int = Field(32, gt=0)  # width at full resolution (encoder, decoder and classifier)
    blocks: int = Field(1, ge=0)  # residual blocks per resolution
    likelihood: Literal["auto", "categorical", "logistic_mixture"] = "auto"
    mixtures: int = Field(5, gt=0)  # components of the discretised logistic mixture
    dropout: float = Field(0.0, ge=0, lt=1)
    classifier_weight: float | None = Field(None, gt=0)  # alpha; None: ALPHA_PER_DIM * the data's dims


class SSVAE(GenerativeModel):
    name = "ssvae"
    Config = SSVAEConfig
    semi_supervised = True
    needs_labels = True
    # No encode/decode (so no latent space): z alone does not describe an image, y does too.

    def __init__(self, spec: DatasetSpec, config: SSVAEConfig):
        super().__init__(spec, config)
        k = spec.num_classes
        self.alpha = config.classifier_weight if config.classifier_weight is not None else ALPHA_PER_DIM * spec.dims
        pyramid = Pyramid(spec.shape, config.channels)
        self.head = make_head(config.likelihood, spec.shape[0], spec.levels, config.mixtures)
        self.classifier = nn.Sequential(conv_encoder(pyramid, config.blocks, config.dropout),
                                        nn.Linear(pyramid.flat, k))
        self.encoder = conv_encoder(pyramid, config.blocks, config.dropout)
        self.to_posterior = nn.Linear(pyramid.flat + k, 2 * config.latent_dim)
        self.decoder = ConvDecoder(pyramid, config.latent_dim + k, self.head.params_per_channel, config.blocks,
                                   config.dropout)

    # --- networks ---------------------------------------------------------------------------
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of q(y | x): (B, K)."""
        return self.classifier(to_unit_range(x, self.spec.levels))

    def _one_hot(self, y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return F.one_hot(y, self.num_classes).to(dtype)  # (N, K)

    def _neg_elbo(self, x: torch.Tensor, features: torch.Tensor, y: torch.Tensor):
        """(recon, kl), each (N,) nats, for N (image, label) pairs: -ELBO(x, y) = recon + kl - log p(y), and
        callers add -log p(y) = log K. `features` are the encoder's (N, F) for x, so the K hypotheses of
        one image share one conv pass."""
        one_hot = self._one_hot(y, features.dtype)
        mu, log_var = self.to_posterior(torch.cat([features, one_hot], 1)).chunk(2, dim=1)  # (N, Z) each
        log_var = log_var.clamp(-12.0, 8.0)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        recon = -self.head.log_prob(self.decoder(torch.cat([z, one_hot], 1)), x)  # (N,)
        return recon, gaussian_kl_to_standard(mu, log_var)  # (N,) each

    def _all_labels(self, x: torch.Tensor, features: torch.Tensor):
        """Every image paired with every class, image-major: x (B*K, C, H, W), features (B*K, F), y (B*K,)."""
        k = self.num_classes
        y = torch.arange(k, device=x.device).repeat(len(x))
        return x.repeat_interleave(k, 0), features.repeat_interleave(k, 0), y

    # --- protocol ---------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        """Labelled rows: -ELBO(x, y) + alpha CE; unlabelled: E_q(y|x)[-ELBO(x, y)] - H(q(y|x)). One decoder
        pass scores the labelled pairs and all K hypotheses of every unlabelled image."""
        x = batch["x"]  # (B, C, H, W)
        y = batch.get("y")
        y = torch.full((len(x),), -1, dtype=torch.long, device=x.device) if y is None else y.long()
        known = y >= 0  # (B,)
        b, k, dims = len(x), self.num_classes, self.spec.dims
        logits = self.classify(x)  # (B, K)
        features = self.encoder(to_unit_range(x, self.spec.levels))  # (B, F)

        xu, fu, yu = self._all_labels(x[~known], features[~known])  # (U*K, ...)
        recon, kl = self._neg_elbo(torch.cat([x[known], xu]), torch.cat([features[known], fu]),
                                   torch.cat([y[known], yu]))
        n_known = int(known.sum())
        neg_elbo = recon + kl + math.log(k)  # (L + U*K,) nats: -log p(y) = log K

        unlabelled = unlabelled_bound(neg_elbo[n_known:].view(-1, k), logits[~known])  # (U,)
        labelled = neg_elbo[:n_known]  # (L,)
        ce = F.cross_entropy(logits[known], y[known], reduction="sum")  # 0 when L == 0

        bound = torch.cat([labelled, unlabelled])  # (B,) per-row negative bound (nats)
        loss = (bound.sum() + self.alpha * ce) / (b * dims)  # nats per dim, like the other families
        with torch.no_grad():
            hits = (logits[known].argmax(1) == y[known]).float().sum()
            q = F.softmax(logits[~known], dim=1)  # (U, K)
            weights = torch.cat([torch.ones(n_known, device=x.device), q.flatten()])  # each pair's share of its row
            parts = {
                "recon": (weights * recon).sum() / b,
                "kl": (weights * kl).sum() / b,
                "bpd": bits_per_dim(bound.mean(), dims),  # labelled rows count -log p(x, y) >= -log p(x)
                "ce": ce / max(n_known, 1),
                "accuracy": hits / max(n_known, 1),  # 0 when the batch has no labelled rows
                "labelled": n_known / b,
            }
        return {"loss": loss} | parts

    @torch.no_grad()
    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """y uniform (or the given labels (n,)), z ~ N(0, temperature^2 I), then the head's sample (at the same
        temperature, as the VAE does)."""
        y = torch.randint(0, self.num_classes, (n,), device=self.device) if condition is None else condition.long()
        z = temperature * torch.randn(n, self.config.latent_dim, device=self.device)
        params = self.decoder(torch.cat([z, self._one_hot(y, z.dtype)], 1))
        return self.head.sample(params, temperature)

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition: torch.Tensor | None = None, **options) -> LogLikelihood:
        """Without labels: log p(x) >= E_q(y|x)[ELBO(x, y)] + H(q(y|x)). With labels (B,): the ELBO of
        log p(x | y) (the prior term log p(y) left out). Nats per example, bound "elbo" either way."""
        features = self.encoder(to_unit_range(x, self.spec.levels))
        if condition is not None:
            recon, kl = self._neg_elbo(x, features, condition.long())
            return LogLikelihood(-(recon + kl), "elbo")
        recon, kl = self._neg_elbo(*self._all_labels(x, features))
        neg_elbo = (recon + kl).view(len(x), -1) + math.log(self.num_classes)  # (B, K)
        return LogLikelihood(-unlabelled_bound(neg_elbo, self.classify(x)), "elbo")
