"""Text to mel spectrogram, non-autoregressive (FastSpeech 2, Ren et al. 2021), with its own aligner.

FastSpeech 2 needs each symbol's duration in frames, which it took from an external forced aligner. Here
the durations are learnt jointly, as in "One TTS alignment to rule them all" (Badlani et al. 2022, the
aligner of NeMo's FastPitch and RAD-TTS): two small convolutional encoders embed the symbols and the mel
frames, a frame's soft alignment is a softmax over symbols of their negative squared distance, trained by
the forward-sum (CTC) loss over every monotonic path; monotonic alignment search (models/alignment.py)
picks the best path from it, which gives the durations. After `bin_start` steps a binarisation loss pulls
the soft alignment towards that path.

The rest is FastSpeech 2's: a symbol encoder of feed-forward Transformer blocks (self-attention and a
convolutional feed-forward part), a duration predictor trained on log(1 + duration), the length regulator
(each symbol's vector repeated for its duration: the aligner's in training, the predictor's when speaking),
and a decoder of the same blocks giving 80 log-mel bands, normalised per band by the training set's mean
and deviation (taken before the first step). Loss: L1 on the normalised mel plus the duration, forward-sum
and binarisation terms. Pitch and energy predictors are left out (FastSpeech 2's optional variance).

Batches: `x` (B, S) waveforms as uint16 offset-binary levels (data/utterances.py), `samples` (B, 1) their
lengths, `text` (B, X) symbol ids, 0 the padding.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec, Split
from genlab.models.alignment import expand, monotonic_alignment
from genlab.models.audio import MelSettings, MelSpectrogram, wave_of
from genlab.models.base import GenerativeModel, ModelConfig

STATISTICS_UTTERANCES = 256  # training utterances the mel normalisation is taken from
STATISTICS_CHUNK = 16  # utterances whose mels are computed at once for it


class TTSConfig(ModelConfig):
    hidden: int = Field(192, gt=0)
    heads: int = Field(2, gt=0)
    encoder_layers: int = Field(3, gt=0)
    decoder_layers: int = Field(3, gt=0)
    kernel: int = Field(5, gt=0)  # the blocks' convolutional feed-forward kernel (odd)
    filter: int = Field(512, gt=0)  # and its width
    dropout: float = Field(0.1, ge=0, lt=1)
    aligner_dim: int = Field(80, gt=0)
    duration_weight: float = Field(0.1, ge=0)
    align_weight: float = Field(1.0, ge=0)  # the forward-sum loss
    bin_weight: float = Field(1.0, ge=0)
    bin_start: int = Field(1000, ge=0)  # steps before the binarisation loss starts
    # Training leaves out longer utterances: self-attention over a batch of their frames costs memory and time
    # quadratic in its longest one (Asterisk batches of 16 up to 20 s peaked at 11 GB resident, one-off
    # /usr/bin/time of 60 steps; a 73 s prompt is 13x that squared length); LJSpeech's longest is 10 s.
    max_seconds: float = Field(20.0, gt=0)
    # Badlani et al.'s static alignment prior: frame t of T leans towards symbol ~ t/T of X (beta-binomial of
    # scale `alignment_prior`; 0 = none) while the aligner learns, so it cannot settle on a degenerate path
    # (without it the Asterisk tts gave one symbol 76 % of a held-out prompt's frames; docs/speech.md).
    alignment_prior: float = Field(1.0, ge=0)
    BEFORE_IT_EXISTED = {"alignment_prior": 0.0}  # runs saved before the prior trained without it
    vocoder: str | None = None  # a vocoder run genlab speak uses by default (None: Griffin-Lim)


def positions(length: int, dim: int, device) -> torch.Tensor:
    """Sinusoidal position encodings (length, dim) (Vaswani et al. 2017)."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10_000.0) / dim))
    out = torch.zeros(length, dim, device=device)
    out[:, 0::2] = torch.sin(pos * rates)
    out[:, 1::2] = torch.cos(pos * rates[: dim // 2])
    return out


class FFTBlock(nn.Module):
    """FastSpeech's feed-forward Transformer block: self-attention, then two 1-D convolutions; post-norm."""

    def __init__(self, dim: int, heads: int, filter_size: int, kernel: int, dropout: float):
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.conv = nn.Sequential(nn.Conv1d(dim, filter_size, kernel, padding=kernel // 2), nn.ReLU(),
                                  nn.Conv1d(filter_size, dim, 1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """h (B, T, D), pad (B, T) True where padding -> (B, T, D), padding zeroed."""
        attended, _ = self.attention(h, h, h, key_padding_mask=pad, need_weights=False)
        h = self.norm1(h + self.dropout(attended)).masked_fill(pad[..., None], 0.0)
        h = self.norm2(h + self.dropout(self.conv(h.transpose(1, 2)).transpose(1, 2)))
        return h.masked_fill(pad[..., None], 0.0)


class Stack(nn.Module):
    """Position encodings, then `layers` FFT blocks."""

    def __init__(self, c: TTSConfig, layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(FFTBlock(c.hidden, c.heads, c.filter, c.kernel, c.dropout) for _ in range(layers))

    def forward(self, h: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = h + positions(h.shape[1], h.shape[2], h.device)
        for block in self.blocks:
            h = block(h, pad)
        return h


class DurationPredictor(nn.Module):
    """log(1 + frames) per symbol (B, X) from the encoder's output (B, X, D): two convolutions, as FastSpeech."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv1d(dim, dim, kernel, padding=kernel // 2) for _ in range(2)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(2)])
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(dim, 1)

    def forward(self, h: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.layers, self.norms):
            h = self.dropout(norm(F.relu(conv(h.transpose(1, 2)).transpose(1, 2))))
        return self.out(h)[..., 0].masked_fill(pad, 0.0)


class Aligner(nn.Module):
    """Soft alignment log-probabilities (B, Y, X) of mel frames over symbols (Badlani et al. 2022)."""

    def __init__(self, symbols_dim: int, mels: int, dim: int):
        super().__init__()
        self.keys = nn.Sequential(nn.Conv1d(symbols_dim, 2 * dim, 3, padding=1), nn.ReLU(), nn.Conv1d(2 * dim, dim, 1))
        self.queries = nn.Sequential(nn.Conv1d(mels, 2 * dim, 3, padding=1), nn.ReLU(), nn.Conv1d(2 * dim, dim, 1),
                                     nn.ReLU(), nn.Conv1d(dim, dim, 1))

    def forward(self, embedded: torch.Tensor, mel: torch.Tensor, text_pad: torch.Tensor) -> torch.Tensor:
        """embedded symbols (B, X, E), normalised mel (B, M, Y), text_pad (B, X) -> log p(symbol | frame)."""
        keys = self.keys(embedded.transpose(1, 2))  # (B, A, X)
        queries = self.queries(mel)  # (B, A, Y)
        # |q - k|^2 = |q|^2 + |k|^2 - 2 q.k, without the (B, A, Y, X) differences (GBs for long utterances)
        distance = ((queries ** 2).sum(1)[:, :, None] + (keys ** 2).sum(1)[:, None, :]
                    - 2 * torch.bmm(queries.transpose(1, 2), keys)).clamp(min=0)  # (B, Y, X)
        scores = (-0.0005 * distance).masked_fill(text_pad[:, None, :], -1e4)  # temperature as Badlani et al.
        return F.log_softmax(scores, dim=2)


def alignment_prior(symbols: torch.Tensor, frames: torch.Tensor, x: int, y: int, scale: float) -> torch.Tensor:
    """log P(symbol | frame) (B, Y, X) of the beta-binomial prior (Badlani et al. 2022, RAD-TTS): frame t of T
    over symbols 0..N-1 as BetaBinomial(N - 1, scale (t + 1), scale (T - t)); 0 on padding."""
    from scipy.stats import betabinom

    prior = np.zeros((len(symbols), y, x), np.float32)
    for b, (n, t) in enumerate(zip(symbols.tolist(), frames.tolist())):
        k, step = np.arange(n)[None, :], np.arange(t)[:, None]  # (1, N), (T, 1)
        prior[b, :t, :n] = betabinom.logpmf(k, n - 1, scale * (step + 1), scale * (t - step))
    return torch.from_numpy(np.maximum(prior, -1e4))  # cpu: the caller moves it to the scores' device


def forward_sum_loss(log_probs: torch.Tensor, symbols: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """-log of the total probability of every monotonic alignment (CTC with a blank of log-probability -1,
    as Badlani et al.), per symbol, averaged over the batch. log_probs (B, Y, X)."""
    padded = F.pad(log_probs, (1, 0), value=-1.0)  # (B, Y, X + 1): class 0 the blank
    padded = F.log_softmax(padded, dim=2)
    targets = torch.arange(1, log_probs.shape[2] + 1, device=log_probs.device)[None].expand(len(log_probs), -1)
    return F.ctc_loss(padded.transpose(0, 1), targets, frames, symbols, blank=0, reduction="mean", zero_infinity=True)


class TextToSpeech(GenerativeModel):
    name = "tts"
    Config = TTSConfig
    modalities = ("audio",)
    default_batch_size = 16  # FastSpeech 2's (ming024's recipe): a corpus of a few dozen utterances still batches
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: TTSConfig):
        super().__init__(spec, config)
        c = config
        self.mel = MelSpectrogram(MelSettings(rate=spec.rate or MelSettings.rate))
        mels = self.mel.settings.mels
        symbols = len(spec.extra("text").vocabulary or ())
        self.embed = nn.Embedding(symbols, c.hidden, padding_idx=0)
        self.encoder = Stack(c, c.encoder_layers)
        self.durations = DurationPredictor(c.hidden, 3, c.dropout)
        self.decoder = Stack(c, c.decoder_layers)
        self.to_mel = nn.Linear(c.hidden, mels)
        self.aligner = Aligner(c.hidden, mels, c.aligner_dim)
        self.register_buffer("mel_mean", torch.zeros(mels))
        self.register_buffer("mel_std", torch.ones(mels))
        self.register_buffer("steps_trained", torch.zeros((), dtype=torch.long))  # starts the binarisation loss

    # --- features -----------------------------------------------------------------------------
    def frames_of(self, samples: torch.Tensor) -> torch.Tensor:
        """Mel frames (B,) of waveforms of `samples` (B,) samples (centred STFT)."""
        return samples.long() // self.mel.settings.hop + 1

    def log_mel(self, levels: torch.Tensor, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mels (B, M, Y) of waveform levels (B, S) of `samples` (B,) samples each, Y their longest one's
        frames, and frames (B,). The silence padding past the longest is cut first (the data pads every
        utterance to the corpus's longest), keeping n_fft samples so its last frame is as uncut."""
        frames = self.frames_of(samples)
        kept = min(levels.shape[1], int(samples.max()) + self.mel.settings.n_fft)
        return self.mel(wave_of(levels[:, :kept]))[:, :, : int(frames.max())], frames

    def normalised_mel(self, levels: torch.Tensor, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's normalised log-mels (B, M, Y), zero beyond each example's frames, and frames (B,)."""
        mel, frames = self.log_mel(levels, samples)
        mel = (mel - self.mel_mean[:, None]) / self.mel_std[:, None]
        valid = torch.arange(mel.shape[2], device=mel.device)[None] < frames[:, None]  # (B, Y)
        return mel * valid[:, None], frames

    def training_examples(self, train):
        """The utterances of at most max_seconds, their padding cut to the longest of them (see TTSConfig)."""
        samples = np.asarray(train.extras["samples"][:, 0])
        short = samples <= self.config.max_seconds * self.spec.rate
        if short.all():
            return train, None
        longest = int(samples[short].max())
        kept = Split(train.x[:, :longest], train.y, train.extras).take(short)  # cut (a view), then copied
        return kept, (f"the tts leaves out {int((~short).sum())} of {len(samples)} training utterances longer than "
                      f"model.max_seconds={self.config.max_seconds:g} ({(samples[~short].sum() / self.spec.rate / 60):.1f}"
                      " minutes of audio; raise it to keep them, at a memory cost quadratic in length).")

    def example_lengths(self, train) -> np.ndarray:
        """Utterances' samples: batches of like length (a batch costs its longest utterance's frames)."""
        return np.asarray(train.extras["samples"][:, 0])

    def initialise(self, train=None) -> None:
        """Per-band mean and deviation of the log-mel over up to STATISTICS_UTTERANCES training utterances,
        their mels computed STATISTICS_CHUNK at a time."""
        if train is None:
            return
        n = min(STATISTICS_UTTERANCES, len(train))
        total = torch.zeros(self.mel.settings.mels, dtype=torch.float64)  # cpu: sums in float64 on the host
        squares, count = torch.zeros_like(total), 0
        with torch.no_grad():
            for start in range(0, n, STATISTICS_CHUNK):
                chunk = slice(start, min(n, start + STATISTICS_CHUNK))
                levels = torch.from_numpy(np.asarray(train.x[chunk]).astype(np.int64)).to(self.mel_mean.device)
                lengths = np.asarray(train.extras["samples"][chunk, 0]).astype(np.int64)
                samples = torch.from_numpy(lengths).to(levels.device)
                mel, frames = self.log_mel(levels, samples)  # (C, M, Y)
                valid = torch.arange(mel.shape[2], device=mel.device)[None] < frames[:, None]  # (C, Y)
                values = mel.transpose(1, 2)[valid].double().cpu()  # (frames, M)
                total += values.sum(0)
                squares += (values ** 2).sum(0)
                count += values.shape[0]
        mean = total / count
        self.mel_mean.copy_(mean.float())
        self.mel_std.copy_((squares / count - mean ** 2).clamp(min=0).sqrt().float().clamp(min=1e-3))

    # --- the network -------------------------------------------------------------------------
    def _encode(self, text: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(embedded (B, X, D), encoded (B, X, D), padding (B, X)) of symbol ids (B, X)."""
        pad = text == 0
        embedded = self.embed(text.long())
        return embedded, self.encoder(embedded, pad), pad

    def _decode(self, encoded: torch.Tensor, durations: torch.Tensor, frames: int | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised mel (B, M, Y) and frame padding (B, Y) from encoded symbols and their durations (B, X)."""
        h = expand(encoded, durations, frames)  # (B, Y, D)
        total = durations.long().sum(1)
        pad = torch.arange(h.shape[1], device=h.device)[None] >= total[:, None]  # (B, Y)
        pad[:, 0] = False  # an empty utterance keeps one frame, so attention has a key
        return self.to_mel(self.decoder(h, pad)).transpose(1, 2).masked_fill(pad[:, None], 0.0), pad

    def align(self, embedded: torch.Tensor, mel: torch.Tensor, text_pad: torch.Tensor, frames: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """(soft log-probabilities (B, Y, X), hard durations (B, X) by monotonic alignment search)."""
        log_probs = self.aligner(embedded, mel, text_pad)
        symbols = (~text_pad).sum(1)
        if self.config.alignment_prior > 0:
            prior = alignment_prior(symbols.cpu(), frames.cpu(), log_probs.shape[2], log_probs.shape[1],
                                    self.config.alignment_prior).to(log_probs.device)  # (B, Y, X)
            log_probs = F.log_softmax((log_probs + prior).masked_fill(text_pad[:, None, :], -1e4), dim=2)
        path = monotonic_alignment(log_probs.detach().transpose(1, 2).cpu().numpy(), symbols.cpu().numpy(),
                                   frames.cpu().numpy())  # (B, X, Y) 0/1
        return log_probs, torch.from_numpy(path).to(mel.device)

    # --- protocol ----------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        text = batch["text"].long()
        text = text[:, : int((text > 0).sum(1).max())]  # (B, X): the corpus pads to its longest transcript
        mel, frames = self.normalised_mel(batch["x"], batch["samples"][:, 0])
        embedded, encoded, text_pad = self._encode(text)
        log_probs, path = self.align(embedded, mel, text_pad, frames)
        durations = path.sum(2)  # (B, X) frames per symbol
        predicted, frame_pad = self._decode(encoded, durations, mel.shape[2])
        valid = (~frame_pad)[:, None].float()  # (B, 1, Y)
        mel_loss = ((predicted - mel).abs() * valid).sum() / (valid.sum() * mel.shape[1])
        target = torch.log1p(durations.float())
        duration_loss = (((self.durations(encoded, text_pad) - target) ** 2) * (~text_pad)).sum() / (~text_pad).sum()
        symbols = (~text_pad).sum(1)
        align_loss = forward_sum_loss(log_probs, symbols, frames)
        c = self.config
        binarise = float(self.steps_trained) >= c.bin_start
        bin_loss = -(log_probs.transpose(1, 2) * path).sum() / path.sum() if binarise else log_probs.new_zeros(())
        if self.training:
            self.steps_trained += 1
        total = mel_loss + c.duration_weight * duration_loss + c.align_weight * align_loss + c.bin_weight * bin_loss
        return {"loss": total, "mel_l1": mel_loss.detach(), "duration": duration_loss.detach(),
                "forward_sum": align_loss.detach(), "binarisation": bin_loss.detach()}

    @torch.no_grad()
    def speak(self, text: torch.Tensor, speed: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel spectrograms (B, M, Y) for symbol ids (B, X) (0 padding), and their frames (B,): durations
        from the predictor, divided by `speed`, at least one frame per symbol."""
        _, encoded, pad = self._encode(text)
        durations = torch.clamp(torch.round(torch.expm1(self.durations(encoded, pad)) / speed), min=1)
        durations = durations.masked_fill(pad, 0)
        normalised, frame_pad = self._decode(encoded, durations)
        mel = normalised * self.mel_std[:, None] + self.mel_mean[:, None]
        return mel, (~frame_pad).sum(1)
