"""Speech end to end: recordings as an audio dataset, a tiny tts and vocoder trained a few steps through the
CLI, genlab speak writing WAV files soundfile reads back at the run's rate, genlab evaluate's speech table
with its audio and mel picture, and every bad request refused in one line with nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from genlab.data import load_dataset
from genlab.data.espeak import SENTENCES
from genlab.data.text import spoken_words
from genlab.errors import UserError

TTS = {"hidden": 16, "filter": 16, "encoder_layers": 1, "decoder_layers": 1, "aligner_dim": 8}
VOCODER = {"generator": "istft", "dim": 8, "hidden": 16, "layers": 1, "d_channels": 2, "segment": 2048}


def _options(options: dict) -> list[str]:
    return [arg for key, value in options.items() for arg in ("--set", f"model.{key}={value}")]


def test_espeak_is_an_audio_dataset_of_symbols_and_samples():
    data = load_dataset("espeak")
    spec = data.spec
    assert spec.modality == "audio" and spec.rate == 22_050 and spec.tokenizer == "phonemes"
    assert (len(data.train), len(data.val), len(data.test)) == (32, 4, 4)
    text, samples = data.train.extras["text"], data.train.extras["samples"][:, 0]
    vocabulary = spec.extra("text").vocabulary
    assert vocabulary[0] == "<pad>" and "ˈ" in vocabulary and text.max() < len(vocabulary)
    assert (samples <= spec.shape[0]).all() and (samples // 256 + 1 >= (text > 0).sum(1)).all()
    words = spec.extra("words").vocabulary  # the transcripts' spoken words, for the recogniser's error rate
    said = {" ".join(words[w] for w in row if w) for split in (data.train, data.val, data.test)
            for row in split.extras["words"]}
    assert said == {" ".join(spoken_words(sentence)) for sentence in SENTENCES}
    row = int(np.argmin(samples))  # past its own samples, an utterance is silence (level 32768)
    assert (data.train.x[row, samples[row]:] == 32768).all() and data.train.x.dtype == np.uint16
    letters = load_dataset("espeak", front_end="characters").spec.extra("text").vocabulary
    assert set(letters) - {"<pad>"} <= set("abcdefghijklmnopqrstuvwxyz .,;:!?-'\"()")
    with pytest.raises(UserError, match="front_end is for recordings"):
        load_dataset("digits", front_end="phonemes")


def test_a_folder_with_metadata_is_speech(tmp_path):
    (tmp_path / "voice" / "wavs").mkdir(parents=True)
    lines = []
    for i, text in enumerate(["Hello there.", "How are you?", "Fine, thanks.", "See you at 5."]):
        t = np.arange(16_000) / 16_000
        soundfile.write(tmp_path / "voice" / "wavs" / f"u{i}.wav", 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t), 16_000)
        lines.append(f"u{i}|{text}")
    (tmp_path / "voice" / "metadata.csv").write_text("\n".join(lines) + "\n")
    data = load_dataset(str(tmp_path / "voice"), front_end="characters")
    assert data.spec.name == "voice" and data.spec.rate == 22_050 and len(data.train) == 2
    assert any("16000 Hz" in note for note in data.spec.notes)  # resampled, and said so


def test_the_tts_leaves_out_long_utterances_and_takes_its_statistics_in_chunks():
    import torch

    from genlab.models.registry import build_model
    from genlab.training.run import training_split

    data = load_dataset("espeak")
    samples = data.train.extras["samples"][:, 0]
    limit = float(np.median(samples)) / data.spec.rate
    model = build_model("tts", data.spec, TTS | {"max_seconds": limit})
    kept, note = model.training_examples(data.train)
    longest = int(samples[samples <= np.median(samples)].max())
    assert len(kept) == (samples <= np.median(samples)).sum() and kept.x.shape[1] == longest  # padding cut too
    assert note.startswith(f"the tts leaves out {len(samples) - len(kept)} of 32") and "model.max_seconds" in note
    assert len(training_split(model, data.train)) == len(kept)  # what training sees
    assert build_model("tts", data.spec, TTS).training_examples(data.train) == (data.train, None)

    model.initialise(data.train)  # statistics 16 utterances at a time, each chunk's padding cut
    whole = model.mel(torch.from_numpy(data.train.x.astype(np.float32) / 32768 - 1))  # (N, M, Y) all at once
    valid = torch.arange(whole.shape[2])[None] < torch.from_numpy(samples // 256 + 1)[:, None]
    frames = whole.transpose(1, 2)[valid]  # (frames, M)
    assert torch.allclose(model.mel_mean, frames.mean(0), atol=1e-4)
    assert torch.allclose(model.mel_std, frames.std(0, unbiased=False), atol=1e-3)


@pytest.fixture(scope="module")
def voice(tmp_path_factory, genlab_at):
    """A vocoder and a tts (naming that vocoder) trained three steps each on the espeak sentences."""
    folder = tmp_path_factory.mktemp("speech")
    for family, options in (("vocoder", VOCODER), ("tts", TTS | {"vocoder": "vocoder"})):
        trained = genlab_at(["train", "--data", "espeak", "--model", family, *_options(options), "--steps", "3",
                             "--batch-size", "4", "--quiet", "--out", family], folder)
        assert trained.returncode == 0, str(trained)
    return folder


def test_speak_writes_wav_at_the_runs_rate(voice, genlab_at):
    said = genlab_at(["speak", "tts", "Hello there. It is 5 o'clock!", "-o", "hello.wav"], voice)
    assert said.returncode == 0 and "vocoder" in said.stdout, str(said)  # the one the run names
    wave, rate = soundfile.read(voice / "hello.wav")
    assert rate == 22_050 and wave.ndim == 1 and len(wave) > 0.2 * rate  # two sentences and a pause
    again = genlab_at(["speak", "tts", "Hello there. It is 5 o'clock!", "-o", "again.wav"], voice)
    assert again.returncode == 0 and np.array_equal(soundfile.read(voice / "again.wav")[0], wave)  # seeded
    (voice / "lines.txt").write_text("First line.\n\nSecond line, slower.\n")
    many = genlab_at(["speak", "tts", "--text-file", "lines.txt", "--vocoder", "vocoder", "--speed", "0.8",
                      "-o", "lines"], voice)
    assert many.returncode == 0 and "vocoder" in many.stdout, str(many)
    assert sorted(p.name for p in (voice / "lines").iterdir()) == ["001.wav", "002.wav"]
    assert soundfile.info(str(voice / "lines" / "001.wav")).samplerate == 22_050


def test_a_long_sentence_is_said_in_bounded_pieces(voice, monkeypatch, tmp_path):
    """One long unpunctuated sentence reaches the model in pieces of at most MAX_PIECE characters' symbols (said
    whole, a 5,000-word sentence was killed at 20 GB), joined into one WAV with pauses between them."""
    from genlab.apps import speak as app
    from genlab.data.text import MAX_PIECE, speech_pieces
    from genlab.models.loading import load_run

    text = " ".join(["the old man walked along the quiet road"] * 30)  # 240 words, no punctuation
    said = []

    def recording(model, ids, *args, **kwargs):
        said.append(len(ids))
        return speech(model, ids, *args, **kwargs)

    speech = app.speech
    monkeypatch.setattr(app, "speech", recording)
    monkeypatch.chdir(voice)  # where the tts run's model.vocoder is
    spoken = app.speak(load_run("tts"), [text], tmp_path / "long.wav")
    assert len(said) == len(speech_pieces(text)) > 5 and max(said) <= 2 * MAX_PIECE  # about a symbol a letter
    wave, rate = soundfile.read(tmp_path / "long.wav")
    assert len(wave) / rate == pytest.approx(spoken.seconds, abs=1e-3) and spoken.seconds > (len(said) - 1) * app.PAUSE


@pytest.mark.parametrize("args, needle", [
    (["tts", "   ", "-o", "x.wav"], "text is empty"),
    (["tts", "你好", "-o", "x.wav"], "is a sound this run learnt"),
    (["tts", "Hello.", "-o", "x.mp3"], "written as .wav"),
    (["tts", "Hello.", "-o", "x.wav", "--speed", "9"], "--speed 9"),
    (["vocoder", "Hello.", "-o", "x.wav"], "does not speak"),
    (["tts", "Hello.", "-o", "x.wav", "--vocoder", "tts"], "not a vocoder"),
    (["tts", "-o", "x.wav"], "Give the text"),
    (["tts", "--text-file", "nope.txt", "-o", "out"], "nope.txt does not exist"),
])
def test_speak_refuses_bad_requests_in_one_line(voice, genlab_at, user_error, args, needle):
    before = set(voice.iterdir())
    user_error(genlab_at(["speak", *args], voice), needle)
    assert set(voice.iterdir()) == before


def test_evaluate_scores_speech_against_the_recordings(voice, genlab_at, metrics):
    validation = [r for r in metrics(voice / "tts") if r.get("split") == "val"][-1]
    assert validation["val_mel_l1"] > 0 and "val_forward_sum" in validation  # the loss terms on held-out data
    done = genlab_at(["evaluate", "tts", "--utterances", "2"], voice)
    assert done.returncode == 0 and "MCD (dB)" in done.stdout, str(done)
    result = json.loads((voice / "tts" / "evaluation.json").read_text())["results"]["speech"]
    assert result["utterances"] == 2 and set(result["rows"]) == {
        "tts + vocoder vocoder", "the recording's mel + vocoder vocoder", "tts + Griffin-Lim",
        "the recording's mel + Griffin-Lim", "the recording itself"}
    for label, scores in result["rows"].items():
        assert scores["wer"] >= 0 and scores["cer"] >= 0  # what the recogniser heard, every row
        if label != "the recording itself":
            assert scores["mcd"] > 0 and 0 <= scores["vuv_error"] <= 1 and scores["real_time_factor"] > 0
            assert scores["duration_ratio"] > 0
        if label.startswith("the recording's mel"):  # the recording's own frames: its length, to a frame (256 of
            assert abs(scores["duration_ratio"] - 1) < 0.02  # a sentence's > 20,000 samples)
    data = load_dataset("espeak")
    words = data.spec.extra("words").vocabulary
    assert [h["said"] for h in result["heard"]] == [" ".join(words[w] for w in row if w)
                                                    for row in data.test.extras["words"][:2]]
    for path in result["audio"]:
        assert soundfile.info(str(voice / "tts" / path)).samplerate == 22_050
    assert (voice / "tts" / "report" / "mel.png").exists() and "Speech" in (voice / "tts" / "report.md").read_text()
    vocoded = genlab_at(["evaluate", "vocoder", "--utterances", "2"], voice)
    assert vocoded.returncode == 0, str(vocoded)
    rows = json.loads((voice / "vocoder" / "evaluation.json").read_text())["results"]["speech"]["rows"]
    assert set(rows) == {"the recording's mel + vocoder", "the recording's mel + Griffin-Lim", "the recording itself"}


def test_bench_speech_writes_its_table_and_audio_and_keeps_a_record(tmp_path, monkeypatch):
    from genlab.benchmarks import speech as bench

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bench, "TTS", TTS)
    monkeypatch.setattr(bench, "VOCODER", VOCODER)
    monkeypatch.setattr(bench, "TTS_TRAINING", {"batch_size": 4, "lr": 1e-3})
    monkeypatch.setattr(bench, "VOCODER_TRAINING", {"batch_size": 4, "lr": 2e-4})
    settings = {"corpora": ("espeak",), "tts_steps": 2, "vocoder_steps": 2, "utterances": 2}
    text = bench.speech_bench(tmp_path / "out", **settings).read_text()
    assert "espeak: tts + vocoder" in text and "espeak: the recording's mel + Griffin-Lim" in text and "fairseq" in text
    assert "espeak: the recording itself" in text and "| said |" in text  # the recogniser's floor, what it heard
    assert soundfile.info(str(tmp_path / "out" / "speech" / "espeak-1-model.wav")).samplerate == 22_050
    monkeypatch.setattr(bench, "train_or_reuse", lambda *a, **k: pytest.fail("trained again"))
    assert bench.speech_bench(tmp_path / "out", **settings).read_text() == text  # from the record alone
