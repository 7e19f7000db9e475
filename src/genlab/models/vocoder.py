"""A neural vocoder: log-mel spectrograms to waveforms, GAN-trained as HiFi-GAN (Kong et al. 2020), with one
of two generators (`model.generator`):

- "istft" (default): Vocos's frame-rate ConvNeXt stack predicting STFT frames, inverted by torch.istft
  (models/istft_generator.py; Siuzdak 2023); chosen by `genlab bench speech` (docs/speech.md);
- "hifigan": HiFi-GAN's generator at a CPU's size: a 7-tap convolution from the mel bands, then one
  transposed convolution per upsampling rate (8, 8 and 4: the 256-sample hop), each followed by a
  multi-receptive-field fusion (the mean of residual blocks of dilated convolutions with kernels 3 and 7),
  halving the channels each time; a 7-tap convolution to one channel and tanh. Weight normalisation
  throughout, leaky ReLUs of slope 0.1.

Discriminators: the multi-period discriminator (periods 2, 3, 5, 7, 11: the waveform folded into a 2-D
grid of that width, 2-D convolutions along time) and the multi-scale discriminator (raw, 2x and 4x
average-pooled waveforms, strided grouped 1-D convolutions). Losses as HiFi-GAN's: least squares for both
players, feature matching (x2) and the L1 distance of the output's log-mel to the recording's (x45), over the whole
band (the input mel's stops at 8 kHz).

Training reads `segment`-sample windows at random positions inside each utterance (`x` waveforms of uint16
levels, `samples` their lengths, as the tts family), so the step's cost does not depend on utterance length.
The trainer takes one backward pass per step: the discriminators' loss sees the output detached and the
generator's goes through discriminators with frozen weights (as genlab's GAN families).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.func import functional_call
from torch.nn.utils.parametrizations import weight_norm

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.audio import MelSettings, MelSpectrogram, wave_of
from genlab.models.base import GenerativeModel, ModelConfig
from genlab.models.istft_generator import ISTFTGenerator

RATES = (8, 8, 4)  # upsampling per stage: their product is the mel hop
PERIODS = (2, 3, 5, 7, 11)
SCALES = 3
SLOPE = 0.1


class VocoderConfig(ModelConfig):
    generator: Literal["istft", "hifigan"] = "istft"
    dim: int = Field(256, gt=0)  # istft: the ConvNeXt stack's width,
    hidden: int = Field(768, gt=0)  # its feed-forward width
    layers: int = Field(8, gt=0)  # and depth
    channels: int = Field(128, gt=0)  # hifigan: after the input convolution; halved by each upsampling
    kernels: tuple[int, ...] = (3, 7)  # the fusion's residual blocks
    dilations: tuple[int, ...] = (1, 3)  # each block's dilated convolutions
    d_channels: int = Field(8, gt=0)  # the discriminators' first width (HiFi-GAN's: 32)
    segment: int = Field(8192, gt=0)  # training window, samples
    mel_weight: float = Field(45.0, ge=0)
    feature_weight: float = Field(2.0, ge=0)

    BEFORE_IT_EXISTED = {"generator": "hifigan"}  # runs saved before the choice trained HiFi-GAN's

class ResBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dilations: tuple[int, ...]):
        super().__init__()
        self.convs = nn.ModuleList(weight_norm(nn.Conv1d(channels, channels, kernel, dilation=d,
                                                         padding=d * (kernel - 1) // 2)) for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, SLOPE))
        return x


class Generator(nn.Module):
    """log-mel (B, M, T) -> waveform (B, T * prod(RATES)) in [-1, 1]."""

    def __init__(self, mels: int, c: VocoderConfig):
        super().__init__()
        self.pre = weight_norm(nn.Conv1d(mels, c.channels, 7, padding=3))
        self.ups, self.fusions = nn.ModuleList(), nn.ModuleList()
        width = c.channels
        for rate in RATES:
            self.ups.append(weight_norm(nn.ConvTranspose1d(width, max(1, width // 2), 2 * rate, rate,
                                                           padding=rate // 2)))
            width = max(1, width // 2)
            self.fusions.append(nn.ModuleList(ResBlock(width, k, c.dilations) for k in c.kernels))
        self.post = weight_norm(nn.Conv1d(width, 1, 7, padding=3))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = self.pre(mel)  # (B, C, T)
        for up, fusion in zip(self.ups, self.fusions):
            h = up(F.leaky_relu(h, SLOPE))  # (B, C/2, T * rate)
            h = sum(block(h) for block in fusion) / len(fusion)
        return torch.tanh(self.post(F.leaky_relu(h))).squeeze(1)


class PeriodDiscriminator(nn.Module):
    """Scores (B, N) and features of a waveform folded to width `period` (HiFi-GAN's MPD, one period)."""

    def __init__(self, period: int, d: int):
        super().__init__()
        self.period = period
        widths = [1, d, 4 * d, 16 * d, 16 * d]
        self.convs = nn.ModuleList(weight_norm(nn.Conv2d(a, b, (5, 1), (3 if i < 3 else 1, 1), padding=(2, 0)))
                                   for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
        self.out = weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, t = wave.shape
        h = F.pad(wave, (0, (-t) % self.period), mode="reflect" if t > self.period else "constant")
        h = h.view(b, 1, -1, self.period)  # (B, 1, T / p, p)
        features = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), SLOPE)
            features.append(h)
        h = self.out(h)
        return h.flatten(1), features + [h]


class ScaleDiscriminator(nn.Module):
    """Scores (B, N) and features of a waveform (HiFi-GAN's MSD, one scale)."""

    def __init__(self, d: int):
        super().__init__()
        specs = [(1, d, 15, 1, 1), (d, 4 * d, 41, 4, 4), (4 * d, 16 * d, 41, 4, 16), (16 * d, 16 * d, 5, 1, 1)]
        self.convs = nn.ModuleList(weight_norm(nn.Conv1d(a, b, k, s, groups=min(g, a), padding=k // 2))
                                   for a, b, k, s, g in specs)
        self.out = weight_norm(nn.Conv1d(16 * d, 1, 3, padding=1))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h, features = wave[:, None], []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), SLOPE)
            features.append(h)
        h = self.out(h)
        return h.flatten(1), features + [h]


class Discriminators(nn.Module):
    """Every period's and scale's (score, features) of a waveform (B, T)."""

    def __init__(self, d: int):
        super().__init__()
        self.periods = nn.ModuleList(PeriodDiscriminator(p, d) for p in PERIODS)
        self.scales = nn.ModuleList(ScaleDiscriminator(d) for _ in range(SCALES))

    def forward(self, wave: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        out = [disc(wave) for disc in self.periods]
        for i, disc in enumerate(self.scales):
            pooled = wave if i == 0 else F.avg_pool1d(wave[:, None], 2**i * 2, 2**i, padding=2**i)[:, 0]
            out.append(disc(pooled))
        return out


class Vocoder(GenerativeModel):
    name = "vocoder"
    Config = VocoderConfig
    modalities = ("audio",)
    default_batch_size = 16  # HiFi-GAN's: a corpus of a few dozen utterances still batches
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: VocoderConfig):
        super().__init__(spec, config)
        self.mel = MelSpectrogram(MelSettings(rate=spec.rate or MelSettings.rate))
        # The loss's mel spans the whole band, as HiFi-GAN's (fmax_for_loss: null): the input's stops at 8 kHz,
        # and a loss that stops there too leaves the band above free (a 600-step probe on the Asterisk prompts,
        # whose recordings hold nothing above 8 kHz, put a quarter to a third of its output's energy there).
        self.loss_mel = MelSpectrogram(replace(self.mel.settings, fmax=self.mel.settings.rate / 2))
        if config.generator == "hifigan" and self.mel.settings.hop != torch.tensor(RATES).prod():
            raise UserError(f"The vocoder upsamples by {RATES}, which needs a mel hop of 256 samples.")
        self.generator = (ISTFTGenerator(self.mel.settings, config.dim, config.hidden, config.layers)
                          if config.generator == "istft" else Generator(self.mel.settings.mels, config))
        self.discriminators = Discriminators(config.d_channels)

    def segments(self, batch: dict) -> torch.Tensor:
        """One `segment`-sample window (B, L) of each utterance, at a random position inside its samples."""
        waves, samples = wave_of(batch["x"]), batch["samples"][:, 0].long()
        length = self.config.segment
        if waves.shape[1] < length:
            waves = F.pad(waves, (0, length - waves.shape[1]))
        room = torch.clamp(samples - length, min=0)  # (B,) latest start inside each utterance
        starts = (torch.rand(len(waves), device=waves.device) * (room + 1).float()).long()
        index = starts[:, None] + torch.arange(length, device=waves.device)[None]  # (B, L)
        return torch.gather(waves, 1, index)

    def vocode(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Waveforms (B, T * 256) in [-1, 1] from log-mel spectrograms (B, M, T)."""
        return torch.clamp(self.generator(log_mel), -1.0, 1.0)

    def loss(self, batch: dict) -> dict:
        real = self.segments(batch)  # (B, L)
        magnitude = self.mel.magnitude(real)  # (B, F, L / hop + 1): one STFT for both mels
        mel = self.mel.from_magnitude(magnitude)  # (B, M, L / hop + 1)
        fake = self.generator(mel)[:, : real.shape[1]]  # (B, L); unclipped, so the loss still has a gradient
        real_judged = self.discriminators(real)
        d_loss = sum(((1 - r) ** 2).mean() + (f ** 2).mean() for (r, _), (f, _) in
                     zip(real_judged, self.discriminators(fake.detach())))
        frozen = {name: p.detach() for name, p in self.discriminators.named_parameters()}
        judged = functional_call(self.discriminators, frozen, (fake,))  # gradients reach the generator only
        adversarial = sum(((1 - score) ** 2).mean() for score, _ in judged)
        features = sum(F.l1_loss(f, r.detach()) for (_, fake_f), (_, real_f) in zip(judged, real_judged)
                       for f, r in zip(fake_f, real_f))
        mel_l1 = F.l1_loss(self.loss_mel(fake), self.loss_mel.from_magnitude(magnitude))
        c = self.config
        g_loss = adversarial + c.feature_weight * features + c.mel_weight * mel_l1
        return {"loss": d_loss + g_loss, "d_loss": d_loss.detach(), "g_adversarial": adversarial.detach(),
                "features": features.detach(), "mel_l1": mel_l1.detach()}
