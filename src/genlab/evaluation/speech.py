"""How a speech run sounds on held-out sentences: mel-cepstral distortion against the recording, log-F0
RMSE, voiced/unvoiced error (metrics/speech.py, all over a DTW path), the word and character error rates of
an offline recogniser (metrics/recognition.py; the recording's own is the floor) and the real-time factor.

A tts run says each held-out transcript through the vocoder it names (if any) and through Griffin-Lim;
beside each, the recording's own mel spectrogram through the same vocoder, the floor that a perfect
acoustic model would reach with that vocoder. A vocoder run turns each recording's mel spectrogram back into sound, beside
Griffin-Lim on the same mels. With `write`, the report gets the first sentence's mel spectrograms
(recording and model) and the first few sentences as WAV files (report/audio/).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.files import atomic_write
from genlab.media.audio import mel_picture, wav_bytes
from genlab.metrics import recognition
from genlab.metrics.speech import mcd, pitch_errors
from genlab.models.audio import wave_of
from genlab.models.loading import Run, load_named_run
from genlab.runs import EvaluationRecord
from genlab.sampling import speech, waveform
from genlab.tables import Section, Table, number

WRITTEN = 3  # held-out sentences written as audio files
METRICS = {"mcd": "MCD (dB)", "log_f0_rmse": "log-F0 RMSE", "vuv_error": "V/UV error", "wer": "WER (Sphinx)",
           "cer": "CER (Sphinx)", "duration_ratio": "length / recording's", "real_time_factor": "RTF"}
RECORDING = "the recording itself"  # the row of the recogniser's error on the recordings: intelligibility's floor


class SpeechResult(Result):
    utterances: int
    rate: int
    rows: dict[str, dict[str, float]]  # what was said -> its METRICS
    audio: list[str] = []  # files under the run folder
    heard: list[dict[str, str]] = []  # the first sentences: said, and what the recogniser heard in each row

    def headline(self) -> tuple[str, float] | None:
        return ("MCD dB", next(iter(self.rows.values()))["mcd"]) if self.rows else None

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, *(number(scores[m]) for m in METRICS)) for label, scores in self.rows.items()]
        return Section("Speech: held-out sentences against their recordings", [
            f"{self.utterances} {header.split} sentences at {self.rate:,} Hz. MCD: mel-cepstral distortion (order 34, "
            "alpha 0.455, c0 left out, DTW-aligned; lower is closer); log-F0 RMSE over frames voiced in both; V/UV "
            "error: share of frames whose voicing differs; WER / CER: word / character error rate of what the "
            "offline recogniser CMU PocketSphinx hears against the transcript's words, read beside its error on "
            "the recording itself (it mishears real speech too; missing when it is not installed); length: the "
            "synthesised audio's over the recording's, mean per sentence (a tts's speaking rate); RTF: synthesis "
            "time over the audio's duration on this machine (below 1 is faster than real time)."
            + (f" Listen: {', '.join(self.audio)}." if self.audio else "")],
            [Table(("speech", *METRICS.values()), rows)] + ([heard_table(self.heard)] if self.heard else []),
            pictures=[("mel spectrograms of the first sentence", Path("report/mel.png"))] if self.audio else [])


def heard_table(heard: list[dict[str, str]], title: str = "what the recogniser heard") -> Table:
    """What the recogniser heard in the first sentences (SpeechResult.heard): a column per sentence, a row for
    what was said and for each recording or model."""
    columns = (title, *(f"sentence {i + 1}" for i in range(len(heard))))
    return Table(columns, [(label, *(h[label] for h in heard)) for label in heard[0]])


def _recognised(rows: dict[str, dict[str, float]], said: list[list[str]], truth: list[np.ndarray],
                outputs: dict[str, list[np.ndarray]], rate: int) -> list[dict[str, str]]:
    """Adds the recogniser's WER and CER to every row and the recording's own as a row of its own (NaN when
    it is not installed); returns what it heard in the first WRITTEN sentences, per row."""
    missing = float("nan")
    rows[RECORDING] = {m: missing for m in METRICS}
    if not recognition.available():
        for scores in rows.values():
            scores.update(wer=missing, cer=missing)
        return []
    recogniser = recognition.Recogniser()
    heard = [{"said": " ".join(words)} for words in said[:WRITTEN]]
    for label, waves in {RECORDING: truth, **outputs}.items():
        transcripts = [recogniser.words(wave, rate) for wave in waves]
        rows[label].update(recognition.error_rates(list(zip(said, transcripts))))
        for i, words in enumerate(transcripts[:WRITTEN]):
            heard[i][label] = " ".join(words)
    return heard


def _scores(pairs: list[tuple[np.ndarray, np.ndarray]], rate: int, seconds: float) -> dict[str, float]:
    """METRICS averaged over (recording, synthesised) pairs; `seconds` of synthesis time in all."""
    distortion = [mcd(a, b) for a, b in pairs]
    pitch = [pitch_errors(a, b, rate) for a, b in pairs]
    f0 = [p["log_f0_rmse"] for p in pitch if np.isfinite(p["log_f0_rmse"])]
    audio = sum(len(b) for _, b in pairs) / rate
    return {"mcd": float(np.mean(distortion)), "log_f0_rmse": float(np.mean(f0)) if f0 else float("nan"),
            "vuv_error": float(np.mean([p["vuv_error"] for p in pitch])),
            "duration_ratio": float(np.mean([len(b) / len(a) for a, b in pairs])), "real_time_factor": seconds / audio}


class Speech(Evaluator):
    name = "speech"
    Result = SpeechResult

    def applies(self, run: Run, options: Options) -> bool:
        return (run.model.can_speak or run.model.can_vocode) and options.utterances > 0

    def evaluate(self, context: Context) -> SpeechResult:
        run, options, held_out = context.run, context.options, context.held_out
        model, rate = run.model.eval(), run.spec.rate
        n = min(options.utterances, len(held_out))
        levels = [torch.from_numpy(held_out.x[i, : int(held_out.extras["samples"][i, 0])].astype(np.int64)).to(model.device)
                  for i in range(n)]
        recordings = [wave_of(level) for level in levels]  # (S,) each, on the model's device
        settings = model.mel.settings
        with torch.no_grad():
            mels = [model.mel(r[None]) for r in recordings]  # (1, M, Y) each
        outputs: dict[str, tuple[list[np.ndarray], float]] = {}  # label -> (waveforms, synthesis seconds)
        predicted_mel = None
        if model.can_speak:  # said through the vocoder it names first (what genlab speak uses), and Griffin-Lim
            named = getattr(model.config, "vocoder", None)
            vocoders = {} if named is None else {f"vocoder {Path(named).name}": load_named_run(
                "model.vocoder", named, "train the vocoder it names, or --set model.vocoder=null", str(run.device)).model}
            vocoders["Griffin-Lim"] = None
            for voice, vocoder in vocoders.items():
                started, said = time.perf_counter(), []
                for i in range(n):
                    ids = [int(t) for t in held_out.extras["text"][i] if t]
                    said.append(speech(model, ids, vocoder, seed=options.seed))
                outputs[f"{model.name} + {voice}"] = ([w for w, _ in said], time.perf_counter() - started)
                predicted_mel = said[0][1]
        else:
            vocoders = {model.name: model, "Griffin-Lim": None}
        for voice, vocoder in vocoders.items():
            started = time.perf_counter()
            waves = [waveform(m, m.shape[2], settings, vocoder, seed=options.seed) for m in mels]
            outputs[f"the recording's mel + {voice}"] = (waves, time.perf_counter() - started)
        truth = [r.cpu().numpy() for r in recordings]
        rows = {label: _scores(list(zip(truth, waves)), rate, seconds) for label, (waves, seconds) in outputs.items()}
        vocabulary = context.data.spec.extra("words").vocabulary
        said = [[vocabulary[w] for w in held_out.extras["words"][i] if w] for i in range(n)]
        heard = _recognised(rows, said, truth, {label: waves for label, (waves, _) in outputs.items()}, rate)
        audio = []
        if options.write:
            first = next(iter(outputs.values()))[0]
            for i in range(min(WRITTEN, n)):
                for kind, wave in (("recording", truth[i]), ("model", first[i])):
                    path = run.folder.pictures / "audio" / f"{i + 1:02d}-{kind}.wav"
                    atomic_write(path, wav_bytes(wave, rate))
                    audio.append(str(path.relative_to(run.folder.path)))
            target = mels[0][0].cpu().numpy()
            shown = [("recording", target)] + ([("model", predicted_mel)] if predicted_mel is not None else [])
            atomic_write(run.folder.pictures / "mel.png", mel_picture(shown))
        return SpeechResult(utterances=n, rate=rate, rows=rows, audio=audio, heard=heard)
