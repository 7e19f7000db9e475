"""Learned transform codec with a scale hyperprior (Ballé et al. 2017, "End-to-end optimized image compression";
Ballé et al. 2018, "Variational image compression with a scale hyperprior"), with the mean-and-scale Gaussian
of Minnen et al. 2018.

x -> analysis transform g_a -> latents y (1/16 resolution) -> quantised, coded with a Gaussian per element whose
mean and scale come from a hyper-latent z = h_a(y) (1/64 resolution), itself coded with a learned factorised
density. The decoder rebuilds the Gaussians from z, decodes y, and x_hat = g_s(y_hat).

- GDN / inverse GDN between the convolutions: divisive normalisation, which Gaussianises local image
  statistics far better than a pointwise nonlinearity.
- Training minimises rate + lambda * distortion: bits per pixel + lambda * 255^2 * MSE, CompressAI's
  convention, so its lambda values carry over (0.0130 is about 0.45 bits/pixel on Kodak after full training).
  How the latents are quantised is a `Quantiser`: uniform noise while training (`noisy`), rounding when
  coding (`rounded`), annealed rounding when refining (`annealed`).
- Encoding can go further than the analysis transform: `refine` optimises one image's latents against its
  own rate-distortion cost (genlab compress --refine), which the decoder never needs to know.
- The codec implements neither sampling nor a likelihood of images (so it declares neither capability); `genlab compress` turns it into
  files (genlab.coding.lossy) and `genlab evaluate` reports its rate and PSNR.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, ModelConfig

SCALE_MIN = 0.11  # the smallest Gaussian scale: below it quantised latents cost nothing and learn nothing
LIKELIHOOD_MIN = 1e-9  # probabilities are floored so a stray value cannot cost infinite bits
STRIDE = 64  # g_a halves four times and h_a twice: image sides are padded to a multiple of this
Z_RADIUS = 32  # coded z symbols are clamped into -32..32 (a learned density puts next to nothing beyond)
Y_RADIUS = 255  # coded y - mean symbols are clamped into -255..255
REFINE_LR = 0.03  # Adam step size for the encoder-side refinement of latents


class CodecConfig(ModelConfig):
    channels: int = Field(64, gt=0)  # N: width of the transforms and of z
    latent_channels: int = Field(96, gt=0)  # M: channels of y
    rd_lambda: float = Field(0.0130, gt=0)  # distortion weight: loss = bits/pixel + rd_lambda * 255^2 * MSE


class GDN(nn.Module):
    """y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2); the inverse multiplies. beta and gamma are kept positive
    as squares of the parameters."""

    def __init__(self, channels: int, inverse: bool = False):
        super().__init__()
        self.inverse = inverse
        self.beta_root = nn.Parameter(torch.ones(channels))
        self.gamma_root = nn.Parameter(math.sqrt(0.1) * torch.eye(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        gamma = self.gamma_root.pow(2).view(c, c, 1, 1)
        norm = F.conv2d(x * x, gamma, self.beta_root.pow(2) + 1e-6)  # (B, C, H, W)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)


def down(cin: int, cout: int, kernel: int = 5) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride=2, padding=kernel // 2)


def up(cin: int, cout: int, kernel: int = 5) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, kernel, stride=2, padding=kernel // 2, output_padding=1)


class FactorizedDensity(nn.Module):
    """A learned density per channel (Ballé et al. 2018, appendix 6.1): a monotone function of the value through
    small layers with positive weights gives a CDF; the probability of a unit bin is a difference of CDFs."""

    def __init__(self, channels: int, widths: tuple[int, ...] = (3, 3, 3)):
        super().__init__()
        sizes = (1, *widths, 1)
        scale = 10.0 ** (1 / len(sizes))
        self.matrices, self.biases, self.factors = nn.ParameterList(), nn.ParameterList(), nn.ParameterList()
        for i in range(len(sizes) - 1):
            init = math.log(math.expm1(1 / scale / sizes[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, sizes[i + 1], sizes[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, sizes[i + 1], 1) - 0.5))
            if i < len(sizes) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, sizes[i + 1], 1)))

    def _logits_cdf(self, v: torch.Tensor) -> torch.Tensor:
        """v (C, 1, N) values per channel -> (C, 1, N) logits of the CDF."""
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            v = torch.matmul(F.softplus(matrix), v) + bias
            if i < len(self.factors):
                v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
        return v

    def likelihood(self, z: torch.Tensor) -> torch.Tensor:
        """Probability of the unit bin around each value of z (B, C, H, W): (B, C, H, W)."""
        b, c, h, w = z.shape
        v = z.transpose(0, 1).reshape(c, 1, -1)  # (C, 1, B*H*W)
        lower, upper = self._logits_cdf(v - 0.5), self._logits_cdf(v + 0.5)
        sign = -torch.sign(lower + upper).detach()  # work in the tail where the sigmoids are not saturated
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return p.view(c, b, h, w).transpose(0, 1).clamp(min=LIKELIHOOD_MIN)

    def pmf(self, radius: int) -> torch.Tensor:
        """Probabilities of the integers -radius..radius per channel: (C, 2 * radius + 1), for the entropy coder."""
        c = self.matrices[0].shape[0]
        values = torch.arange(-radius, radius + 1, dtype=torch.float32, device=self.matrices[0].device)
        return self.likelihood(values.view(1, 1, 1, -1).expand(1, c, 1, -1))[0, :, 0]


def gaussian_likelihood(offset: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Probability of the unit bin around a value `offset` from the mean of N(mean, scale^2), elementwise,
    computed in the lower tail (|offset| mirrored) where the normal CDF keeps its precision."""
    centred = offset.abs()
    upper = torch.special.ndtr((0.5 - centred) / scale)
    lower = torch.special.ndtr((-0.5 - centred) / scale)
    return (upper - lower).clamp(min=LIKELIHOOD_MIN)


def pad_to_stride(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> sides padded up to multiples of STRIDE by repeating the last row and column."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, -w % STRIDE, 0, -h % STRIDE), mode="replicate")


def round_straight_through(t: torch.Tensor) -> torch.Tensor:
    return t + (torch.round(t) - t).detach()


# A quantiser turns latents v and the radius the coder clamps them to into (v for the rates, v for the synthesis).
Quantiser = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def rounded(v: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """What the coder codes: v rounded and clamped, for the rates and the synthesis alike."""
    hard = torch.round(v).clamp(-radius, radius)
    return hard, hard


def noisy(generator: torch.Generator | None = None) -> Quantiser:
    """Training's relaxation: uniform noise stands in for rounding in the rates (differentiable, Ballé et al.
    2017); the synthesis sees the rounded latents through a straight-through gradient (Minnen & Singh 2020), so
    it trains on what it will decode."""
    def quantise(v: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
        return v + torch.empty_like(v).uniform_(-0.5, 0.5, generator=generator), round_straight_through(v)
    return quantise


def annealed(temperature: float, generator: torch.Generator | None = None) -> Quantiser:
    """Stochastic Gumbel annealing (Yang et al. 2020, "Improving inference for neural image compression"): v
    becomes a random soft choice between floor(v) and ceil(v), the nearer one likelier; as the temperature falls
    the choice hardens into rounding, so the relaxed cost being optimised becomes the cost of what is coded."""
    def quantise(v: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
        low = torch.floor(v)
        frac = (v - low).clamp(1e-6, 1 - 1e-6)
        logits = torch.stack([-torch.atanh(frac), -torch.atanh(1 - frac)], dim=-1) / temperature  # (..., 2)
        gumbel = -torch.log(-torch.log(torch.empty_like(logits).uniform_(1e-10, 1, generator=generator)))
        soft = low + torch.softmax(logits + gumbel, dim=-1)[..., 1]
        return soft, soft
    return quantise


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random flips and a random order of the colour channels of a batch (B, C, H, W). The training photos are
    few and mostly grey or reddish; permuting channels shows the transforms every hue arrangement of the same
    structure, so what they learn about colour is not one photo's palette."""
    if torch.rand((), device=x.device) < 0.5:
        x = x.flip(3)
    if torch.rand((), device=x.device) < 0.5:
        x = x.flip(2)
    return x[:, torch.randperm(x.shape[1], device=x.device)]


class Codec(GenerativeModel):
    """Lossy image codec: analysis and synthesis transforms with GDN and a mean-scale hyperprior."""

    name = "codec"
    Config = CodecConfig
    can_condition = False
    is_codec = True

    def __init__(self, spec: DatasetSpec, config: CodecConfig):
        super().__init__(spec, config)
        c, n, m = spec.shape[0], config.channels, config.latent_channels
        self.g_a = nn.Sequential(down(c, n), GDN(n), down(n, n), GDN(n), down(n, n), GDN(n), down(n, m))
        self.g_s = nn.Sequential(up(m, n), GDN(n, True), up(n, n), GDN(n, True), up(n, n), GDN(n, True), up(n, c))
        self.h_a = nn.Sequential(nn.Conv2d(m, n, 3, padding=1), nn.LeakyReLU(), down(n, n), nn.LeakyReLU(),
                                 down(n, n))
        self.h_s = nn.Sequential(up(n, m), nn.LeakyReLU(), up(m, m * 3 // 2), nn.LeakyReLU(),
                                 nn.Conv2d(m * 3 // 2, 2 * m, 3, padding=1))
        self.z_density = FactorizedDensity(n)

    # --- the transforms, as the coder calls them ------------------------------------------------
    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() / (self.spec.levels - 1)

    def to_levels(self, x_unit: torch.Tensor) -> torch.Tensor:
        return (x_unit.clamp(0, 1) * (self.spec.levels - 1)).round().to(torch.uint8)

    def analyse(self, x_unit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (B, C, H, W) in [0, 1], sides multiples of STRIDE -> y (B, M, H/16, W/16), z (B, N, H/64, W/64)."""
        y = self.g_a(x_unit)
        return y, self.h_a(y)

    def gaussian_params(self, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and scale (each (B, M, H/16, W/16)) of y's Gaussians from the quantised hyper-latent."""
        mean, scale = self.h_s(z_hat).chunk(2, dim=1)
        return mean, F.softplus(scale).clamp(min=SCALE_MIN)

    def synthesise(self, y_hat: torch.Tensor) -> torch.Tensor:
        """Quantised latents -> images (B, C, H, W) in [0, 1] (not yet clamped)."""
        return self.g_s(y_hat)

    # --- protocol ---------------------------------------------------------------------------------
    def forward_rd(self, x_unit: torch.Tensor) -> dict:
        """Rate (bits/pixel) and distortion (MSE on [0, 1]) of images (B, C, H, W) in [0, 1] of any size
        (padded for the transforms, cropped back): relaxed rates while training, rounded latents otherwise."""
        y, z = self.analyse(pad_to_stride(x_unit))
        return self.rate_distortion(x_unit, y, z, noisy() if self.training else rounded)

    def rate_distortion(self, x_unit: torch.Tensor, y: torch.Tensor, z: torch.Tensor,
                        quantise: Quantiser = rounded) -> dict:
        """Rate and distortion of coding images x_unit (B, C, H, W) with latents y, z of the padded images,
        quantised by `quantise` (rounded: exactly what the coder codes, scales not snapped)."""
        b, _, h, w = x_unit.shape
        y, z = y.float(), z.float()
        with torch.autocast(x_unit.device.type, enabled=False):  # rates in fp32, even when training in bf16
            z_hat, _ = quantise(z, Z_RADIUS)
            z_rate = -torch.log2(self.z_density.likelihood(z_hat)).sum()
            mean, scale = self.gaussian_params(z_hat)
            y_rated, y_shown = quantise(y - mean, Y_RADIUS)
            y_rate = -torch.log2(gaussian_likelihood(y_rated, scale)).sum()
        x_hat = self.synthesise(y_shown + mean)[..., :h, :w].float()
        bpp = (y_rate + z_rate) / (b * h * w)
        mse = F.mse_loss(x_hat, x_unit)
        return {"bpp": bpp, "mse": mse, "x_hat": x_hat, "cost": bpp + self.config.rd_lambda * 255**2 * mse}

    def refine(self, x_unit: torch.Tensor, steps: int, *, lr: float = REFINE_LR,
               on_step: Callable[[], None] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents y, z for one image (1, C, H, W) in [0, 1], optimised for it by the encoder alone (Campos et
        al. 2019, Yang et al. 2020): starting from the analysis transform's guess, `steps` Adam steps on this
        image's own rate + lambda * distortion, decoder fixed, with the rounding annealed (`annealed`: the
        temperature falls from 0.5 to 0.5 e^-5). Files decode exactly as before; encoding is slower. Returns the
        refined latents, or the analysis transform's when refining did not lower the cost of the rounded
        latents. The noise is seeded: on the same machine and thread count the same image gives the same file."""
        with torch.no_grad():
            y0, z0 = self.analyse(pad_to_stride(x_unit))
        if steps == 0:
            return y0, z0
        y, z = y0.clone().requires_grad_(), z0.clone().requires_grad_()
        optimizer = torch.optim.Adam([y, z], lr=lr)
        noise = torch.Generator(x_unit.device).manual_seed(0)
        with torch.enable_grad():
            for step in range(steps):
                temperature = 0.5 * math.exp(-5 * step / steps)
                cost = self.rate_distortion(x_unit, y, z, annealed(temperature, noise))["cost"]
                y.grad, z.grad = torch.autograd.grad(cost, [y, z])
                optimizer.step()
                if on_step:
                    on_step()
        with torch.no_grad():
            refined = self.rate_distortion(x_unit, y, z)["cost"]
            initial = self.rate_distortion(x_unit, y0, z0)["cost"]
        return (y.detach(), z.detach()) if refined < initial else (y0, z0)

    def loss(self, batch: dict) -> dict:
        x = self.to_unit(batch["x"])  # (B, C, H, W) in [0, 1]
        if self.training:
            x = augment(x)
        rd = self.forward_rd(x)
        loss = rd["cost"]
        with torch.no_grad():
            psnr = 10 * torch.log10(1 / rd["mse"].clamp(min=1e-10))
        return {"loss": loss, "bpd": rd["bpp"].detach() / self.spec.shape[0], "psnr": psnr}
