"""Waveforms to log-mel spectrograms and back: the speech families' features and the always-available vocoder.

`MelSpectrogram`: |STFT| (torch.stft, Hann window) through a mel filterbank (Slaney's mel scale and area
normalisation, as librosa's default and HiFi-GAN's features), then log(max(mel, 1e-5)). Defaults are the
LJSpeech setting of Tacotron 2 / FastSpeech 2 / HiFi-GAN: 22,050 Hz, FFT 1,024, hop 256, 80 bands, 0-8,000 Hz.

`griffin_lim`: the floor vocoder. Mel bands back to a linear magnitude by the filterbank's pseudo-inverse
(clipped at 0), then the fast Griffin-Lim algorithm (Perraudin, Balazs and Sondergaard 2013: Griffin and
Lim's alternating projections with momentum 0.99) from seeded random phases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from genlab.config import GENERATOR_MAX, check_seed
from genlab.data.utterances import HOP, MIDPOINT  # the data's silence level and frame hop

LOG_FLOOR = 1e-5  # mel magnitudes below this are clipped before the log


def wave_of(levels: torch.Tensor) -> torch.Tensor:
    """Audio data's uint16 offset-binary levels -> waveforms in [-1, 1) (float32)."""
    return (levels.float() - MIDPOINT) / MIDPOINT


@dataclass(frozen=True)
class MelSettings:
    rate: int = 22_050
    n_fft: int = 1024
    hop: int = HOP
    mels: int = 80
    fmin: float = 0.0
    fmax: float = 8_000.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz (3 bands per 200 Hz), logarithmic above."""
    hz = np.asarray(hz, np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


def mel_filterbank(settings: MelSettings) -> np.ndarray:
    """Triangular filters (mels, n_fft // 2 + 1) on the FFT bins, each of unit area (Slaney normalisation)."""
    s = settings
    bins = np.linspace(0, s.rate / 2, s.n_fft // 2 + 1)  # (F,) Hz
    edges = _mel_to_hz(np.linspace(_hz_to_mel(s.fmin), _hz_to_mel(s.fmax), s.mels + 2))  # (M + 2,) Hz
    lower = (bins[None] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]  # (M, F) rising edge
    upper = (edges[2:, None] - bins[None]) / (edges[2:] - edges[1:-1])[:, None]  # falling edge
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


class MelSpectrogram(nn.Module):
    """Waveforms (B, S) in [-1, 1] -> log-mel spectrograms (B, mels, frames), frames = S // hop + 1."""

    def __init__(self, settings: MelSettings = MelSettings()):
        super().__init__()
        self.settings = settings
        self.register_buffer("window", torch.hann_window(settings.n_fft), persistent=False)
        self.register_buffer("filters", torch.from_numpy(mel_filterbank(settings)).float(), persistent=False)

    def magnitude(self, wave: torch.Tensor) -> torch.Tensor:
        """|STFT| (B, n_fft // 2 + 1, frames), centred frames with reflect padding."""
        s = self.settings
        spectrum = torch.stft(wave, s.n_fft, s.hop, window=self.window, center=True, pad_mode="reflect",
                              return_complex=True)
        return spectrum.abs()

    def from_magnitude(self, magnitude: torch.Tensor) -> torch.Tensor:
        """Log-mel (B, M, T) of an |STFT| (B, F, T) taken with these settings (`magnitude`)."""
        mel = torch.matmul(self.filters, magnitude)  # (B, M, T)
        return torch.log(torch.clamp(mel, min=LOG_FLOOR))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.from_magnitude(self.magnitude(wave))


def mel_pseudo_inverse(settings: MelSettings, like: torch.Tensor) -> torch.Tensor:
    """The filterbank's pseudo-inverse (F, M) in `like`'s dtype and device: a mel spectrum back to the linear
    magnitude it describes, least squares (Griffin-Lim's start; the iSTFT vocoder's base magnitude)."""
    return torch.linalg.pinv(torch.from_numpy(mel_filterbank(settings)).to(like))


def griffin_lim(log_mel: torch.Tensor, settings: MelSettings = MelSettings(), *, iterations: int = 60,
                momentum: float = 0.99, seed: int = 0, length: int | None = None) -> torch.Tensor:
    """Waveforms (B, S) from log-mel spectrograms (B, mels, frames) (see the module's docstring)."""
    s = settings
    magnitude = torch.clamp(torch.matmul(mel_pseudo_inverse(s, log_mel), torch.exp(log_mel)), min=0.0)  # (B, F, T)
    return griffin_lim_linear(magnitude, s, iterations=iterations, momentum=momentum, seed=seed, length=length)


def griffin_lim_linear(magnitude: torch.Tensor, settings: MelSettings = MelSettings(), *, iterations: int = 60,
                       momentum: float = 0.99, seed: int = 0, length: int | None = None) -> torch.Tensor:
    """Waveforms (B, S) whose |STFT| approaches `magnitude` (B, n_fft // 2 + 1, frames)."""
    s = settings
    window = torch.hann_window(s.n_fft, device=magnitude.device, dtype=magnitude.dtype)
    generator = torch.Generator(device="cpu").manual_seed(check_seed(seed, most=GENERATOR_MAX))
    phase = torch.rand(magnitude.shape, generator=generator, dtype=magnitude.dtype).to(magnitude.device)
    angles = torch.polar(torch.ones_like(magnitude), 2 * torch.pi * phase)  # (B, F, T) unit complex
    previous = torch.zeros_like(angles)

    def inverse(spectrum: torch.Tensor) -> torch.Tensor:
        return torch.istft(spectrum, s.n_fft, s.hop, window=window, center=True, length=length)

    for _ in range(iterations):
        rebuilt = torch.stft(inverse(magnitude * angles), s.n_fft, s.hop, window=window, center=True,
                             pad_mode="reflect", return_complex=True)
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        angles = accelerated / (accelerated.abs() + 1e-16)
        previous = rebuilt
    return inverse(magnitude * angles).clamp(-1.0, 1.0)
