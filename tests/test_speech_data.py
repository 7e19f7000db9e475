"""Speech corpora: LJSpeech folders read at one rate (resampled by the exact ratio, channels averaged, the
normalized text chosen, every mistake one line naming the file), the built-in espeak-ng corpus said the same
way on every call, and Debian's Asterisk prompts converted into an LJSpeech folder (on a fake tree)."""

from __future__ import annotations

import gzip
import math
import sys

import numpy as np
import pytest
import soundfile

from genlab.data.asterisk import ASTERISK_SOUNDS, asterisk_to_ljspeech, spoken_text
from genlab.data.espeak import SENTENCES, espeak_corpus
from genlab.data.speech import read_ljspeech, resample
from genlab.errors import UserError

TONE = 440.0  # Hz


def tone(rate: int, frames: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * TONE * np.arange(frames) / rate)).astype(np.float32)


def ljspeech(root, lines: str, audio: dict | None = None):
    """An LJSpeech folder at root: metadata.csv holding `lines`, and wavs/ID.* from audio[ID] = (data, rate,
    subtype, suffix)."""
    (root / "wavs").mkdir(parents=True)
    (root / "metadata.csv").write_text(lines, encoding="utf-8")
    for uid, (data, rate, subtype, suffix) in (audio or {}).items():
        soundfile.write(root / "wavs" / f"{uid}{suffix}", data, rate, subtype=subtype)
    return root


@pytest.fixture
def folder(tmp_path):
    stereo_16k = np.stack([tone(16000, 1600), tone(16000, 1600)], axis=1)  # 0.1 s, both channels alike
    constant = np.tile([0.5, -0.25], (441, 1))  # 24-bit FLAC, two channels whose mean is 0.125
    return ljspeech(tmp_path / "lj", 'a|Dr. Smith said "hi" at 3.|Doctor Smith said "hi" at three.\n'
                                     "b|Only two columns here\n"
                                     "c|An empty third column|\n",
                    {"a": (stereo_16k, 16000, "PCM_16", ".wav"),
                     "b": (tone(22050, 2205, 0.9), 22050, "FLOAT", ".wav"),
                     "c": (constant, 22050, "PCM_24", ".flac")})


def test_ljspeech_is_read_at_one_rate_in_mono_with_the_normalized_text(folder):
    corpus = read_ljspeech(folder)
    assert corpus.ids == ["a", "b", "c"] and corpus.rate == 22050
    assert corpus.texts == ['Doctor Smith said "hi" at three.', "Only two columns here", "An empty third column"]
    assert all(w.dtype == np.float32 and w.ndim == 1 for w in corpus.waves)
    a, b, c = corpus.waves
    assert len(a) == math.ceil(1600 * 441 / 320) == 2205  # 16 kHz -> 22.05 kHz: up 441, down 320
    middle = slice(200, 2000)  # away from the filter's edges, the resampled tone is the tone at 22.05 kHz
    np.testing.assert_allclose(a[middle], tone(22050, 2205)[middle], atol=2e-3)
    np.testing.assert_array_equal(b, tone(22050, 2205, 0.9))  # float WAV at the corpus' rate: untouched
    np.testing.assert_array_equal(c, np.full(441, 0.125, np.float32))  # FLAC, channels averaged
    assert corpus.notes == ["resampled 1 file from 16000 Hz to 22050 Hz", "mixed 2 files of 2 channels down to mono"]


def test_another_rate_resamples_the_other_files(folder):
    corpus = read_ljspeech(folder, rate=16000)
    assert [len(w) for w in corpus.waves] == [1600, math.ceil(2205 * 320 / 441), math.ceil(441 * 320 / 441)]
    assert "resampled 2 files from 22050 Hz to 16000 Hz" in corpus.notes
    assert resample(tone(8000, 800), 8000, 22050).shape == (2205,)


def _drop(path):
    path.unlink()


@pytest.mark.parametrize("spoil, match", [
    (lambda f: (f / "wavs" / "a.wav").rename(f.parent / "elsewhere"), r"Utterance a .* put it at .*wavs/a\.wav"),
    (lambda f: (f / "wavs" / "b.wav").write_bytes(b"RIFF not really a wave"), r"Cannot read the audio file .*b\.wav"),
    (lambda f: _drop(f / "metadata.csv"), r"lj has no metadata\.csv"),
    (lambda f: (f / "metadata.csv").write_text("\n  \n"), r"metadata\.csv holds no utterances"),
    (lambda f: (f / "metadata.csv").write_text("a|one\nb two\n"), r"Line 2 of .*metadata\.csv has no '\|'"),
    (lambda f: (f / "metadata.csv").write_text("a|one\nb| |\n"), r"Utterance b \(line 2 of .*metadata\.csv\) has an "
                                                               "empty text"),
    (lambda f: (f / "metadata.csv").write_text("a|one\na|two\n"), r"id a is on lines 1 and 2 of .*metadata\.csv"),
    (lambda f: (f / "metadata.csv").write_text("a|one|two|three\n"), r"Line 1 of .*metadata\.csv has 4 fields"),
    (lambda f: (f / "metadata.csv").write_bytes(b"a|caf\xe9\n"), r"metadata\.csv is not UTF-8"),
])
def test_ljspeech_mistakes_are_one_line_naming_the_file(folder, spoil, match):
    spoil(folder)
    with pytest.raises(UserError, match=match):
        read_ljspeech(folder)


def test_a_missing_folder_or_a_bad_rate_is_named(tmp_path, folder):
    with pytest.raises(UserError, match=r"No folder at .*nowhere"):
        read_ljspeech(tmp_path / "nowhere")
    with pytest.raises(UserError, match=r"Sample rate 0 "):
        read_ljspeech(folder, rate=0)


def test_recordings_without_metadata_are_told_what_a_speech_corpus_needs(tmp_path):
    """A folder of recordings lacking metadata.csv (given to a tts) once heard "No images found ...: put .png/.jpg"."""
    from genlab.data import load_dataset

    (tmp_path / "voice" / "wavs").mkdir(parents=True)
    soundfile.write(tmp_path / "voice" / "wavs" / "a.wav", tone(22050, 2205), 22050)
    (tmp_path / "loose").mkdir()
    soundfile.write(tmp_path / "loose" / "a.flac", tone(22050, 2205), 22050)
    for name in ("voice", "loose"):
        with pytest.raises(UserError, match=rf"{name} holds recordings but no metadata\.csv: .*LJSpeech folder, "
                                            r"metadata\.csv with one id\|text line per recording .*wavs/ID\.wav"):
            load_dataset(str(tmp_path / name))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"No images found in .*empty: .*metadata\.csv with id\|text lines and "
                                        r"wavs/ID\.wav"):
        load_dataset(str(tmp_path / "empty"))


def test_the_espeak_corpus_says_the_same_samples_every_call_at_the_rate_asked():
    assert len(SENTENCES) == 40 and all(4 <= len(s.split()) <= 12 for s in SENTENCES)
    first, again = espeak_corpus(sentences=SENTENCES[:2]), espeak_corpus(sentences=SENTENCES[:2])
    assert first.rate == 22050 and first.ids == ["espeak-000", "espeak-001"] and first.texts == list(SENTENCES[:2])
    assert all(np.array_equal(x, y) for x, y in zip(first.waves, again.waves, strict=True))
    assert all(w.dtype == np.float32 and len(w) > 0.5 * 22050 and 0.1 < np.abs(w).max() <= 1 for w in first.waves)
    assert first.notes[0].startswith("spoken by espeak-ng ") and len(first.notes) == 1
    slower = espeak_corpus(16000, sentences=SENTENCES[:2])
    assert [len(w) for w in slower.waves] == [math.ceil(len(w) * 320 / 441) for w in first.waves]
    assert slower.notes[1] == "resampled 2 utterances from 22050 Hz to 16000 Hz"


def test_the_espeak_corpus_without_its_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # import fails as if not installed
    with pytest.raises(UserError, match=r"pip install 'genlab\[speech\]'"):
        espeak_corpus(sentences=SENTENCES[:1])


# --- the Asterisk prompts ------------------------------------------------------------------------------------

TRANSCRIPTS = """; Core Asterisk Sounds in English

hello: Hello,  and welcome.
digits/1: one
keys: press * to pause, # to go on
beep: [this is a simple beep tone]
letters/at: at [@]
hush:
gone: a transcript whose file is not there
"""


@pytest.fixture
def prompts(tmp_path):
    sounds = tmp_path / "sounds"
    (sounds / "digits").mkdir(parents=True)
    (sounds / "letters").mkdir()
    for name in ("hello", "digits/1", "keys", "beep", "letters/at", "hush", "untranscribed"):
        soundfile.write(sounds / f"{name}.wav", tone(8000, 800), 8000, subtype="PCM_16")
    transcripts = tmp_path / "core-sounds-en.txt.gz"
    with gzip.open(transcripts, "wt", encoding="utf-8") as f:
        f.write(TRANSCRIPTS)
    return sounds, transcripts


def test_asterisk_prompts_become_an_ljspeech_folder(tmp_path, prompts):
    sounds, transcripts = prompts
    out = tmp_path / "cache" / "asterisk"
    done = asterisk_to_ljspeech(out, sounds, transcripts, suffix=".wav")
    lines = (out / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["digits_1|one|one", "hello|Hello, and welcome.|Hello, and welcome.",
                     "keys|press * to pause, # to go on|press star to pause, pound to go on", "letters_at|at|at"]
    assert sorted(p.name for p in (out / "wavs").iterdir()) == ["digits_1.wav", "hello.wav", "keys.wav",
                                                                  "letters_at.wav"]
    assert soundfile.info(out / "wavs" / "hello.wav").subtype == "PCM_16"
    assert (done.prompts, done.rates, done.unused_transcripts, done.folder) == (4, (8000,), 1, out)
    assert done.seconds == pytest.approx(0.4)
    assert done.skipped == {"without a transcript": 1, "with an empty transcript": 1,
                            "that say nothing (tones, silence)": 1}
    assert "Wrote 4 prompts" in done.summary()
    corpus = read_ljspeech(out, rate=8000)
    np.testing.assert_allclose(corpus.waves[1], tone(8000, 800), atol=1 / 32768)
    assert asterisk_to_ljspeech(out, sounds, transcripts, suffix=".wav").prompts == 4  # again: the earlier replaced
    assert [p.name for p in out.parent.iterdir()] == ["asterisk"]  # nothing left beside it


def test_the_wideband_g722_prompts_are_decoded_at_16_khz(tmp_path, prompts):
    pytest.importorskip("G722")
    from G722 import G722

    sounds, transcripts = prompts
    sound = tone(16_000, 1600)  # (S,) in [-1, 1]
    for wav in list(sounds.rglob("*.wav")):
        wav.with_suffix(".g722").write_bytes(G722(16_000, 64_000).encode((sound * 32767).astype(np.int16)))
        wav.unlink()
    done = asterisk_to_ljspeech(tmp_path / "out", sounds, transcripts)  # .g722, the default
    assert (done.prompts, done.rates) == (4, (16_000,))
    heard = read_ljspeech(tmp_path / "out", rate=16_000).waves[1]
    delay = int(np.argmax(np.correlate(heard[:400], sound[:200], "valid")))  # the codec's filters delay a little
    error = heard[delay:] - sound[: len(heard) - delay]
    assert 10 * np.log10(np.mean(sound**2) / np.mean(error[100:] ** 2)) > 20  # G.722 at 64 kbit/s: > 20 dB SNR


def test_the_converter_refuses_someone_elses_folder_and_missing_sources(tmp_path, prompts, genlab, user_error):
    sounds, transcripts = prompts
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    with pytest.raises(UserError, match=r"mine already exists and was not written by this converter"):
        asterisk_to_ljspeech(mine, sounds, transcripts, suffix=".wav")
    assert (mine / "thesis.tex").read_text() == "keep me"
    with pytest.raises(UserError, match=r"No transcript file at .*absent\.txt\.gz: install Debian's"):
        asterisk_to_ljspeech(tmp_path / "out", sounds, tmp_path / "absent.txt.gz")
    with pytest.raises(UserError, match=r"No prompts folder at .*absent"):
        asterisk_to_ljspeech(tmp_path / "out", tmp_path / "absent", transcripts)
    with pytest.raises(UserError, match=r"holds no \.g722 files: install Debian's asterisk-core-sounds-en-g722"):
        asterisk_to_ljspeech(tmp_path / "out", sounds, transcripts)  # the WAV package only
    assert genlab("data", "asterisk", tmp_path / "out", "--bogus").returncode == 2  # a usage error
    assert "--wav" in genlab("data", "asterisk", "--help").stdout
    if not ASTERISK_SOUNDS.is_dir():  # the package is not installed here: one line saying what to install
        user_error(genlab("data", "asterisk", tmp_path / "out"), "No prompts folder", "asterisk-core-sounds-en-g722")
    assert not (tmp_path / "out").exists()


def test_annotations_are_not_spoken():
    assert spoken_text("IAX (note: does not say \"2\")") == ("IAX", "IAX")
    assert spoken_text("<beep ascending>") == ("", "")
    text, normalized = spoken_text("separated by * and then #.")
    assert (text, normalized) == ("separated by * and then #.", "separated by star and then pound.")
    assert spoken_text("#5 and C#") == ("#5 and C#", "#5 and C#")  # only a key on its own is a key
