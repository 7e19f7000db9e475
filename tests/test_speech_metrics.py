"""MCD's parts on constructed cases: the frequency transformation, DTW, and MCD's zero and its growth."""

from __future__ import annotations

import numpy as np
import pytest

from genlab.metrics.speech import dtw_path, freqt, mcd, mel_cepstra, pitch, pitch_errors

RATE = 22_050


def _vowel(seconds: float, pitch: float, formants: tuple[float, ...], seed: int = 0) -> np.ndarray:
    """A crude vowel: a pulse train at `pitch` through resonances at `formants`, plus a little noise."""
    from scipy.signal import lfilter

    n = int(RATE * seconds)
    source = np.zeros(n)
    source[:: int(RATE / pitch)] = 1.0
    out = source
    for f in formants:
        r, theta = 0.97, 2 * np.pi * f / RATE
        out = lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], out)
    out = out / np.abs(out).max() * 0.5
    return out + 1e-3 * np.random.default_rng(seed).standard_normal(n)


def test_freqt_without_warping_keeps_the_coefficients():
    c = np.random.default_rng(0).standard_normal((3, 10))
    np.testing.assert_allclose(freqt(c, 9, 0.0), c, atol=1e-12)
    np.testing.assert_allclose(freqt(c, 4, 0.0), c[:, :5], atol=1e-12)
    assert not np.allclose(freqt(c, 9, 0.42), c)


def test_dtw_aligns_a_sequence_with_its_stretched_copy():
    a = np.arange(6, dtype=float)[:, None]
    b = np.repeat(a, 2, axis=0)  # every frame twice
    ia, ib = dtw_path(a, b)
    assert np.abs(a[ia] - b[ib]).max() == 0 and ia[0] == ib[0] == 0 and ia[-1] == 5 and ib[-1] == 11
    assert (np.diff(ia) >= 0).all() and (np.diff(ib) >= 0).all()


def test_mcd_is_zero_for_the_same_sound_and_grows_with_the_difference():
    a = _vowel(0.4, 120, (700, 1200))
    assert mcd(a, a) == pytest.approx(0.0, abs=1e-9)
    assert mel_cepstra(a).shape == (1 + (len(a) - 1024) // 256, 35)
    slower = _vowel(0.6, 120, (700, 1200), seed=1)  # the same vowel, longer: DTW absorbs the timing
    other = _vowel(0.4, 120, (300, 2300))  # another vowel
    noise = np.random.default_rng(2).standard_normal(len(a))
    assert mcd(a, slower) < mcd(a, a + 0.003 * noise) < mcd(a, a + 0.01 * noise)  # more noise, more distortion
    assert mcd(a, slower) < mcd(a, other)
    assert mcd(a, other, with_energy=True) >= mcd(a, other)


def test_yin_finds_the_pitch_of_a_vowel_and_no_pitch_in_noise():
    f0, voiced = pitch(_vowel(0.5, 150, (700, 1200)), RATE)
    assert voiced[2:-2].all() and np.median(f0[voiced]) == pytest.approx(150, rel=0.02)
    _, voiced = pitch(0.1 * np.random.default_rng(0).standard_normal(RATE // 2), RATE)
    assert voiced.mean() < 0.2
    a = _vowel(0.5, 150, (700, 1200))
    same = pitch_errors(a, a, RATE)
    assert same["log_f0_rmse"] == pytest.approx(0.0, abs=1e-9) and same["vuv_error"] == 0.0
    higher = pitch_errors(a, _vowel(0.5, 200, (700, 1200)), RATE)
    assert higher["log_f0_rmse"] == pytest.approx(np.log(200 / 150), rel=0.1)
