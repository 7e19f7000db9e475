"""Sound written as files people listen to, and spectrograms as pictures people look at (numpy, Pillow and
soundfile only)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

# A perceptually ordered dark-to-bright ramp (black, purple, red, orange, pale yellow), as magma's.
RAMP = np.array([[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]], np.float64)
ROW = 2  # pixel rows per mel band
MIN_WIDTH = 400  # short spectrograms are widened (whole pixels per frame) to at least this many pixels
LABEL = 14  # pixel rows above each spectrogram for its caption


def wav_bytes(wave: np.ndarray, rate: int) -> bytes:
    """A mono waveform (S,) in [-1, 1] as a 16-bit PCM WAV file."""
    import soundfile

    buf = io.BytesIO()
    soundfile.write(buf, np.clip(np.asarray(wave, np.float32), -1.0, 1.0), rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()


def _colour(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values (M, T) on [low, high] as RGB (M, T, 3) uint8 along RAMP."""
    t = np.clip((values - low) / max(high - low, 1e-9), 0.0, 1.0) * (len(RAMP) - 1)
    i = np.minimum(t.astype(int), len(RAMP) - 2)
    frac = (t - i)[..., None]
    return np.round(RAMP[i] * (1 - frac) + RAMP[i + 1] * frac).astype(np.uint8)


def mel_picture(mels: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """A PNG of log-mel spectrograms (M, T) stacked top to bottom, each captioned, low bands at the bottom,
    on one colour scale (so a prediction and its target compare by colour)."""
    low = min(float(np.percentile(m, 1)) for _, m in mels)
    high = max(float(m.max()) for _, m in mels)
    column = max(1, MIN_WIDTH // max(m.shape[1] for _, m in mels))  # pixels per frame
    width = column * max(m.shape[1] for _, m in mels)
    height = sum(LABEL + ROW * m.shape[0] for _, m in mels)
    picture = Image.new("RGB", (width, height), "white")
    draw, top = ImageDraw.Draw(picture), 0
    for caption, mel in mels:
        draw.text((2, top + 1), caption, fill="black")
        image = _colour(np.repeat(np.repeat(mel[::-1], ROW, axis=0), column, axis=1), low, high)  # low bands below
        picture.paste(Image.fromarray(image), (0, top + LABEL))
        top += LABEL + ROW * mel.shape[0]
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()
