"""SRGAN (Ledig et al. 2017): the SRResNet generator, started from a trained srresnet run, trained further
against a discriminator that tells its outputs from real high-resolution crops. Where SRResNet predicts the
blurry mean of the plausible images, the adversarial loss pushes the output onto the images themselves:
lower PSNR, texture that looks real.

The paper's content loss compares VGG-19 features, which are ImageNet weights genlab cannot download. The
perceptual loss here is **feature matching on the discriminator's own features** (as pix2pixHD, Wang et al.
2018): the L1 distance between the discriminator's activations at each of its stages for the output and for
the real crop. The discriminator is the one network that has learned, on this very data, which image
statistics tell real from generated, it costs no extra forward pass of another network, and nothing is
downloaded. A small L1 pixel loss keeps colours and layout anchored to the input.

One backward pass per step trains both players (as the gan family): the discriminator's loss sees the
outputs detached, and the generator's terms go through the discriminator with its weights detached.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.func import functional_call

from genlab.errors import UserError
from genlab.models.superres import SuperResolution, SuperResolutionConfig


class SRGANConfig(SuperResolutionConfig):
    generator: str = ""  # run folder of a trained srresnet to start the generator from (recommended)
    d_channels: int = Field(32, gt=0)  # discriminator width at full resolution, doubling per stage (SRGAN: 64)
    pixel_weight: float = Field(1.0, ge=0)  # L1 between output and crop
    feature_weight: float = Field(1.0, ge=0)  # L1 between the discriminator's features of output and crop
    adversarial_weight: float = Field(0.01, ge=0)  # non-saturating generator loss
    g_lr_scale: float = Field(0.5, gt=0)  # generator lr = training.lr x this (it starts trained)
    d_lr_scale: float = Field(1.0, gt=0)


class Discriminator(nn.Module):
    """SRGAN's discriminator without batch norm: four stages of (3x3 conv, 3x3 stride-2 conv), LeakyReLU,
    widths doubling from `channels`; global average pooling and a linear layer give one score per image, so
    any crop size works. forward returns (scores (B,), each stage's features) for feature matching."""

    def __init__(self, image_channels: int, channels: int):
        super().__init__()
        widths = [channels * 2**i for i in range(4)]
        stages, width_in = [], image_channels
        for width in widths:
            stages.append(nn.Sequential(nn.Conv2d(width_in, width, 3, padding=1), nn.LeakyReLU(0.2),
                                        nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2)))
            width_in = width
        self.stages = nn.ModuleList(stages)
        self.score = nn.Linear(widths[-1], 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for stage in self.stages:
            x = stage(x)  # (B, width, H / 2^k, W / 2^k)
            features.append(x)
        return self.score(x.mean(dim=(2, 3))).squeeze(1), features


class SRGAN(SuperResolution):
    name = "srgan"
    Config = SRGANConfig

    def __init__(self, spec, config: SRGANConfig):
        super().__init__(spec, config)
        self.discriminator = Discriminator(spec.shape[0], config.d_channels)

    def initialise(self, train=None) -> None:
        """A new run starts its generator from the srresnet run in model.generator, if one is named."""
        if not self.config.generator:
            return
        from genlab.models.loading import load_named_run  # opens run folders, which needs the registry of families

        path = self.config.generator
        source = load_named_run("model.generator", path, "train an srresnet first (genlab train --model srresnet) and "
                                "pass its run folder").model
        ours = {k: getattr(self.config, k) for k in ("scale", "channels", "blocks")}
        theirs = {k: getattr(source.config, k, None) for k in ours}
        if source.name != "srresnet" or ours != theirs:
            raise UserError(f"model.generator={path} is a {source.name} run with {theirs}; srgan needs an srresnet "
                            f"with its own {ours}: set those options alike.")
        self.generator.load_state_dict(source.generator.state_dict())

    def optimizer_groups(self) -> list[dict]:
        """Each player its own learning rate; Adam betas (0.5, 0.999) as for the non-saturating GAN."""
        betas = (0.5, 0.999)
        return [
            {"params": list(self.generator.parameters()), "betas": betas, "lr_scale": self.config.g_lr_scale},
            {"params": list(self.discriminator.parameters()), "betas": betas, "lr_scale": self.config.d_lr_scale},
        ]

    def loss(self, batch: dict) -> dict:
        """D: softplus(-D(real)) + softplus(D(fake)); G: pixel L1 + feature matching + softplus(-D(fake))."""
        low, high = self.pairs(batch)  # (B, C, crop/s, crop/s), (B, C, crop, crop) on [-1, 1]
        output = self.upscale(low)
        d_real, real_features = self.discriminator(high)
        d_fake, _ = self.discriminator(output.detach())
        d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        g_score, fake_features = functional_call(self.discriminator, frozen, (output,))  # gradients reach G only
        features = sum(F.l1_loss(f, r.detach()) for f, r in zip(fake_features, real_features))
        pixel = F.l1_loss(output, high)
        adversarial = F.softplus(-g_score).mean()
        g_loss = (self.config.pixel_weight * pixel + self.config.feature_weight * features
                  + self.config.adversarial_weight * adversarial)
        mse = F.mse_loss(output.detach(), high)
        return {"loss": d_loss + g_loss, "d_loss": d_loss.detach(), "g_adversarial": adversarial.detach(),
                "features": features.detach(), "pixel": pixel.detach(),
                "psnr": 10 * torch.log10(4.0 / mse)}  # [-1, 1]: peak-to-peak 2
