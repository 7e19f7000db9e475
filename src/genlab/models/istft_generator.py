"""The vocoder's frame-rate generator: log-mel frames to STFT frames, inverted by torch.istft (Vocos's design,
Siuzdak 2023, at a CPU's size).

A 7-tap convolution embeds the mel bands, a stack of ConvNeXt blocks (depthwise 7-tap convolution, layer norm,
a pointwise GELU feed-forward and a learnt per-channel scale, residual) works at the mel's frame rate, and a
linear head gives each frame's phase and log-magnitude on the STFT's bins, the latter as a correction to the
magnitude the mel itself describes (its filterbank's pseudo-inverse applied to the mel, Griffin-Lim's
starting point; the correction starts at zero); torch.istft with the mel's own window and hop turns them
into a waveform. Every layer runs at 1/256 of the sample rate, where HiFi-GAN's generator upsamples through
transposed convolutions and dilated stacks at each intermediate rate: far fewer operations per second of
audio, which is what a CPU needs, and the output starts from the mel's own spectrum rather than from noise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genlab.models.audio import LOG_FLOOR, MelSettings, mel_pseudo_inverse

KERNEL = 7
MAX_MAGNITUDE = 1e3  # magnitudes are clipped here (a full-scale sine's peak bin is n_fft / 4 = 256)


class ConvNeXtBlock(nn.Module):
    """(B, C, T) -> (B, C, T): depthwise conv, layer norm, C -> hidden -> C with GELU, scaled residual."""

    def __init__(self, dim: int, hidden: int, scale: float):
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, KERNEL, padding=KERNEL // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.up, self.down = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.scale = nn.Parameter(torch.full((dim,), scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.depthwise(x).transpose(1, 2)  # (B, T, C)
        h = self.down(F.gelu(self.up(self.norm(h))))  # (B, T, C)
        return x + (self.scale * h).transpose(1, 2)


class ISTFTGenerator(nn.Module):
    """log-mel (B, M, T) -> waveform (B, T * hop), unclipped (the vocoder clips what it hands out)."""

    def __init__(self, settings: MelSettings, dim: int, hidden: int, layers: int):
        super().__init__()
        self.settings = settings
        self.embed = nn.Conv1d(settings.mels, dim, KERNEL, padding=KERNEL // 2)
        self.embed_norm = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.ModuleList(ConvNeXtBlock(dim, hidden, 1.0 / layers) for _ in range(layers))
        self.out_norm = nn.LayerNorm(dim, eps=1e-6)
        bins = settings.n_fft // 2 + 1
        self.head = nn.Linear(dim, 2 * bins)
        with torch.no_grad():  # the log-magnitude's correction starts at zero
            self.head.weight[:bins].zero_()
            self.head.bias[:bins].zero_()
        self.register_buffer("inverse", mel_pseudo_inverse(settings, torch.zeros(())), persistent=False)  # (F, M)
        self.register_buffer("window", torch.hann_window(settings.n_fft), persistent=False)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = self.embed_norm(self.embed(mel).transpose(1, 2)).transpose(1, 2)  # (B, C, T)
        for block in self.blocks:
            h = block(h)
        h = self.head(self.out_norm(h.transpose(1, 2))).transpose(1, 2)  # (B, 2F, T)
        correction, phase = h.chunk(2, dim=1)  # (B, F, T) each
        described = torch.clamp(torch.matmul(self.inverse, torch.exp(mel)), min=LOG_FLOOR)  # (B, F, T)
        magnitude = torch.clamp(described * torch.exp(correction), max=MAX_MAGNITUDE)
        # cos + i sin rather than torch.polar: the phase's gradient stays finite where the magnitude is ~0.
        spectrum = torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase))  # (B, F, T)
        s = self.settings
        return torch.istft(spectrum, s.n_fft, s.hop, window=self.window, center=True,
                           length=mel.shape[2] * s.hop)  # (B, T * hop)
