"""Speech features: the mel filterbank's shape and scale, log-mel of a known tone, and Griffin-Lim bringing a
tone back at its frequency from its mel spectrogram."""

from __future__ import annotations

import numpy as np
import torch

from genlab.models.audio import MelSettings, MelSpectrogram, griffin_lim, griffin_lim_linear, mel_filterbank

SETTINGS = MelSettings()


def _tone(hz: float, seconds: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(SETTINGS.rate * seconds), dtype=torch.float64) / SETTINGS.rate
    return (0.5 * torch.sin(2 * torch.pi * hz * t))[None]  # (1, S)


def _peak_hz(wave: torch.Tensor) -> float:
    spectrum = np.abs(np.fft.rfft(wave[0].numpy()))
    return float(np.argmax(spectrum) * SETTINGS.rate / len(wave[0]))


def test_the_filterbank_covers_its_range_with_unit_area_triangles():
    filters = mel_filterbank(SETTINGS)
    hz = np.linspace(0, SETTINGS.rate / 2, SETTINGS.n_fft // 2 + 1)
    assert filters.shape == (80, 513) and (filters >= 0).all()
    assert (filters[:, hz > SETTINGS.fmax + 1] == 0).all() and (filters.sum(1) > 0).all()  # none empty
    centres = hz[filters.argmax(1)]
    assert (np.diff(centres) >= 0).all() and np.diff(centres)[-1] > 3 * np.diff(centres)[5]  # wider at the top


def test_log_mel_of_a_tone_peaks_in_its_band_and_griffin_lim_brings_it_back():
    wave = _tone(440.0)
    mel = MelSpectrogram(SETTINGS).double()(wave)
    assert mel.shape == (1, 80, wave.shape[1] // SETTINGS.hop + 1)
    band = int(mel[0, :, 10:-10].mean(1).argmax())
    centres = np.linspace(0, SETTINGS.rate / 2, 513)[mel_filterbank(SETTINGS).argmax(1)]
    assert abs(centres[band] - 440.0) < 60.0
    back = griffin_lim(mel, SETTINGS, iterations=32, length=wave.shape[1])
    assert back.shape == wave.shape and abs(_peak_hz(back) - 440.0) < 10.0


def test_griffin_lim_from_the_true_magnitude_converges():
    wave = _tone(300.0) + 0.5 * _tone(1200.0)
    features = MelSpectrogram(SETTINGS).double()
    target = features.magnitude(wave)
    errors = []
    for iterations in (1, 40):
        back = griffin_lim_linear(target, SETTINGS, iterations=iterations, length=wave.shape[1])
        errors.append(float(torch.linalg.norm(features.magnitude(back) - target) / torch.linalg.norm(target)))
    assert errors[1] < 0.1 < errors[0], errors  # spectral convergence: from random phases to a close match
    again = griffin_lim_linear(target, SETTINGS, iterations=3, length=wave.shape[1])
    assert torch.equal(again, griffin_lim_linear(target, SETTINGS, iterations=3, length=wave.shape[1]))  # seeded


def test_the_istft_generator_turns_the_frames_its_head_gives_back_into_their_waveform():
    from genlab.models.istft_generator import ISTFTGenerator

    wave = (_tone(300.0) + 0.5 * _tone(1200.0)).float()  # (1, S)
    frames = wave.shape[1] // SETTINGS.hop
    wave = wave[:, : frames * SETTINGS.hop]
    spectrum = torch.stft(wave, SETTINGS.n_fft, SETTINGS.hop, window=torch.hann_window(SETTINGS.n_fft),
                          center=True, pad_mode="reflect", return_complex=True)[..., :frames]  # (1, F, T)
    mel = MelSpectrogram(SETTINGS)(wave)[..., :frames]  # (1, M, T)
    generator = ISTFTGenerator(SETTINGS, dim=8, hidden=16, layers=1)
    described = torch.clamp(generator.inverse @ torch.exp(mel), min=1e-5)  # the magnitude the mel describes
    untrained = generator(mel)
    assert untrained.shape == wave.shape and torch.isfinite(untrained).all()
    correction = torch.log(spectrum.abs().clamp(min=1e-8)) - torch.log(described)
    head = torch.cat([correction, spectrum.angle()], 1).transpose(1, 2)  # (1, T, 2F)
    generator.head.forward = lambda _: head  # what a trained head would say: the tone's own STFT frames
    back = generator(mel)
    inner = slice(SETTINGS.n_fft, -SETTINGS.n_fft)  # the last frame is cut, so its tail is not rebuilt exactly
    assert torch.allclose(back[:, inner], wave[:, inner], atol=1e-4)
