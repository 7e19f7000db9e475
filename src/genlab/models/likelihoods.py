"""Discrete per-pixel output distributions, so every decoder's likelihood is a true probability of the
integer levels the dataset holds (and bits/dim are honest, not a density on continuous pixels).

Each head turns a network output (B, C * params_per_channel, H, W) into log p(x), samples, or a mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genlab.models.base import from_unit_range, to_unit_range


class CategoricalHead:
    """A free categorical over the `levels` values of each sub-pixel; best when levels are few."""

    def __init__(self, channels: int, levels: int):
        self.channels, self.levels = channels, levels
        self.params_per_channel = levels

    def _logits(self, params: torch.Tensor) -> torch.Tensor:
        b, _, h, w = params.shape
        return params.view(b, self.channels, self.levels, h, w)  # (B, C, L, H, W)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Sum over pixels of log p(x | params) in nats: (B,)."""
        logp = F.log_softmax(self._logits(params), dim=2)
        return logp.gather(2, x.long().unsqueeze(2)).squeeze(2).flatten(1).sum(1)

    def level_log_probs(self, params: torch.Tensor) -> torch.Tensor:
        """log p of every level at every sub-pixel: (B, C, L, H, W), the table an entropy coder needs."""
        return F.log_softmax(self._logits(params), dim=2)

    def sample(self, params: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        logits = self._logits(params) / temperature  # (B, C, L, H, W)
        probs = F.softmax(logits.movedim(2, -1), dim=-1)  # (B, C, H, W, L)
        return torch.multinomial(probs.reshape(-1, self.levels), 1).view(probs.shape[:-1])

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        probs = F.softmax(self._logits(params), dim=2)
        values = torch.arange(self.levels, device=params.device, dtype=probs.dtype).view(1, 1, -1, 1, 1)
        return (probs * values).sum(2).round().long()  # (B, C, H, W)


class LogisticMixtureHead:
    """A mixture of logistics discretised to the level grid (Salimans et al. 2017, PixelCNN++).

    Neighbouring levels share probability mass, which generalises far better than a free categorical
    when there are many levels (256) and few images.
    """

    def __init__(self, channels: int, levels: int, mixtures: int = 5):
        self.channels, self.levels, self.mixtures = channels, levels, mixtures
        self.params_per_channel = 3 * mixtures
        self.half_bin = 1.0 / (levels - 1)  # half the width of one level on the [-1, 1] scale

    def _split(self, params: torch.Tensor):
        *lead, _, h, w = params.shape
        p = params.view(*lead, self.channels, 3, self.mixtures, h, w)  # (..., C, 3, M, H, W)
        logit_pi, mu, log_s = p.unbind(-4)  # each (..., C, M, H, W)
        return logit_pi, mu, log_s.clamp(min=-7.0)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self._log_mix(params, x).flatten(1).sum(1)

    def level_log_probs(self, params: torch.Tensor) -> torch.Tensor:
        """log p of every level at every sub-pixel: (B, C, L, H, W), the table an entropy coder needs."""
        levels = torch.arange(self.levels, device=params.device).view(1, -1, 1, 1, 1)  # (1, L, 1, 1, 1)
        return self._log_mix(params.unsqueeze(1), levels).transpose(1, 2)  # (B, L, C, H, W) -> (B, C, L, H, W)

    def _log_mix(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x) per sub-pixel for levels x (..., C, H, W) and parameters broadcastable to them."""
        logit_pi, mu, log_s = self._split(params)
        xs = to_unit_range(x, self.levels).unsqueeze(-3)  # (..., C, 1, H, W) beside M components
        inv_s = torch.exp(-log_s)
        upper = (xs + self.half_bin - mu) * inv_s
        lower = (xs - self.half_bin - mu) * inv_s
        # The outermost levels take all the mass beyond them.
        upper = torch.where(xs > 1.0 - 1e-6, torch.full_like(upper, 1e4), upper)
        lower = torch.where(xs < -1.0 + 1e-6, torch.full_like(lower, -1e4), lower)
        # log(sigmoid(u) - sigmoid(l)) = logsig(u) + logsig(-l) + log(1 - exp(l - u)), stable for u ~ l.
        log_bin = F.logsigmoid(upper) + F.logsigmoid(-lower) + torch.log(-torch.expm1((lower - upper).clamp(max=-1e-12)))
        return torch.logsumexp(F.log_softmax(logit_pi, dim=-3) + log_bin, dim=-3)  # (..., C, H, W)

    def sample(self, params: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        logit_pi, mu, log_s = self._split(params)
        comp = torch.distributions.Categorical(logits=logit_pi.movedim(2, -1)).sample()  # (B, C, H, W)
        pick = lambda t: t.gather(2, comp.unsqueeze(2)).squeeze(2)  # noqa: E731
        u = torch.rand_like(pick(mu)).clamp(1e-5, 1 - 1e-5)
        xs = pick(mu) + temperature * torch.exp(pick(log_s)) * (torch.log(u) - torch.log1p(-u))
        return from_unit_range(xs, self.levels)  # (B, C, H, W)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        logit_pi, mu, _ = self._split(params)
        xs = (F.softmax(logit_pi, dim=2) * mu).sum(2)  # (B, C, H, W)
        return from_unit_range(xs, self.levels)


def make_head(kind: str, channels: int, levels: int, mixtures: int = 5):
    """'auto' picks a categorical up to 64 levels and a logistic mixture above."""
    if kind == "auto":
        kind = "categorical" if levels <= 64 else "logistic_mixture"
    if kind == "categorical":
        return CategoricalHead(channels, levels)
    return LogisticMixtureHead(channels, levels, mixtures)


