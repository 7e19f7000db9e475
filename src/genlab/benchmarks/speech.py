"""`genlab bench speech`: a vocoder and a tts trained per corpus (the Asterisk prompts, one real speaker, and
the espeak sentences), scored on held-out sentences: MCD, log-F0 RMSE, V/UV error, the word and character
error rates of an offline recogniser (PocketSphinx; its error on the recordings is the floor) and the real-time factor,
for the tts through the neural vocoder and through Griffin-Lim, each beside the recording's own mel through
the same vocoder (that vocoder's floor); two held-out sentences of each corpus as WAV files to listen to.

Each corpus keeps its result beside the page (OUT/speech/NAME.json, benchmarks/runs.py's `kept`), so the
benchmark continues corpus by corpus on a machine without the run folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path


from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import kept, train_or_reuse
from genlab.config import load_config
from genlab.errors import UserError
from genlab.evaluation import evaluate
from genlab.evaluation.speech import METRICS, heard_table
from genlab.files import atomic_write
from genlab.tables import Table, number

CORPORA = ("asterisk", "espeak")
TTS = {"hidden": 128, "filter": 256, "encoder_layers": 3, "decoder_layers": 3}  # a CPU's size; lr, batch below
VOCODER = {"generator": "istft"}  # otherwise the family's defaults
TTS_TRAINING = {"batch_size": 16, "lr": 1e-3, "warmup_steps": 500}
VOCODER_TRAINING = {"batch_size": 8, "lr": 2e-4}
LISTEN = 2  # held-out sentences copied beside the page per corpus
SOURCE_PROMPTS = 150  # Asterisk prompts the recogniser hears from both Debian packages (8 kHz WAV, 16 kHz G.722)
# Published anchors, with their setting (none measured here; MCD implementations and floors differ).
ANCHORS = [  # (what, {metric: figure})
    ("fairseq Transformer TTS and FastSpeech 2 on LJSpeech, Griffin-Lim (fairseq's S^2 examples)", {"mcd": "3.8"}),
    ("FastSpeech 2 (Ren et al. 2021), mel generation on one V100 GPU", {"real_time_factor": "0.002"}),
]


def _configs(corpus: str, out: Path, tts_steps: int, vocoder_steps: int):
    vocoder_folder = out / "runs" / f"{corpus}-vocoder"
    vocoder = load_config(None, {"data": {"source": corpus}, "model": {"name": "vocoder"} | VOCODER,
                                 "training": {"steps": vocoder_steps, "eval_every": min(vocoder_steps, 1000)}
                                 | VOCODER_TRAINING})
    tts = load_config(None, {"data": {"source": corpus}, "model": {"name": "tts", "vocoder": str(vocoder_folder)} | TTS,
                             "training": {"steps": tts_steps, "eval_every": min(tts_steps, 1000)} | TTS_TRAINING})
    return vocoder_folder, vocoder, tts


def speech_bench(out: Path, *, corpora: tuple[str, ...] = CORPORA, tts_steps: int = 6000, vocoder_steps: int = 3000,
                 utterances: int = 20) -> Path:
    """Train (or reuse) each corpus's vocoder and tts, score them and write speech.md (see the docstring)."""
    positive("--tts-steps", tts_steps, "6000")
    positive("--vocoder-steps", vocoder_steps, "3000")
    positive("--utterances", utterances, "20")
    unknown = sorted(set(corpora) - set(CORPORA))
    if unknown or not corpora:
        raise UserError(f"--corpora {','.join(corpora)}: choose from {','.join(CORPORA)}.")
    out = Path(out)
    results = {}
    for corpus in corpora:
        vocoder_folder, vocoder, tts = _configs(corpus, out, tts_steps, vocoder_steps)

        def measure(corpus=corpus, vocoder_folder=vocoder_folder, vocoder=vocoder, tts=tts) -> dict:
            import torch  # only when something is measured: the page alone is written without it

            train_or_reuse(vocoder_folder, vocoder, same_settings=True)
            run = train_or_reuse(out / "runs" / f"{corpus}-tts", tts, same_settings=True)
            result = evaluate(run, iwae_k=1, samples=0, utterances=utterances)["speech"]
            listen = []
            for i in range(1, LISTEN + 1):
                for kind in ("recording", "model"):
                    source = run.folder.pictures / "audio" / f"{i:02d}-{kind}.wav"
                    target = out / "speech" / f"{corpus}-{i}-{kind}.wav"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                    listen.append(target.name)
            shutil.copyfile(run.folder.pictures / "mel.png", out / "speech" / f"{corpus}-mel.png")
            return {"rows": result.rows, "utterances": result.utterances, "rate": result.rate, "listen": listen,
                    "heard": result.heard, "threads": torch.get_num_threads()}

        key = {"tts": tts.model_dump(mode="json"), "vocoder": vocoder.model_dump(mode="json"), "utterances": utterances,
               "metrics": list(METRICS)}
        results[corpus] = kept(out / "speech" / f"{corpus}.json", key, measure)
    sources = _sources(out) if "asterisk" in corpora else None
    return _write(out, corpora, tts_steps, vocoder_steps, utterances, results, sources)


def _sources(out: Path) -> dict | None:
    """The recogniser's WER / CER on the same SOURCE_PROMPTS Asterisk prompts (seeded) from each Debian package:
    which recordings are more intelligible; kept beside the page. None unless both packages, the converted
    corpus and the recogniser are installed."""
    from genlab.data.asterisk import asterisk_versions
    from genlab.files import cache_root
    from genlab.metrics import recognition

    versions = asterisk_versions()
    metadata = cache_root() / "speech" / "asterisk" / "metadata.csv"
    if not versions or not metadata.is_file() or not recognition.available():
        return None
    return kept(out / "speech" / "sources.json", {"prompts": SOURCE_PROMPTS, "seed": 0},
                lambda: _hear_sources(versions, metadata))


def _hear_sources(versions: dict, metadata: Path) -> dict:
    import numpy as np

    from genlab.data.asterisk import read_prompt
    from genlab.data.speech import read_metadata
    from genlab.data.text import spoken_words
    from genlab.metrics import recognition

    lines = [line for line in read_metadata(metadata) if line.id in versions]
    chosen = [lines[i] for i in sorted(np.random.default_rng(0).choice(len(lines), SOURCE_PROMPTS, replace=False))]
    recogniser = recognition.Recogniser()
    pairs: dict[str, list] = {"8 kHz WAV (asterisk-core-sounds-en-wav)": [],
                              "16 kHz G.722 (asterisk-core-sounds-en-g722)": []}
    for line in chosen:
        for (_, heard), path in zip(pairs.items(), versions[line.id]):
            heard.append((spoken_words(line.text), recogniser.words(*read_prompt(path))))
    return {"prompts": len(chosen), "words": sum(len(said) for said, _ in next(iter(pairs.values()))),
            "rates": {name: recognition.error_rates(heard) for name, heard in pairs.items()}}


def _heard(corpus: str, heard: list[dict[str, str]]) -> list[str]:
    """A table per corpus: what was said, and what the recogniser heard in each row, sentence by sentence."""
    if not heard:
        return [f"{corpus}: no recogniser installed (pip install 'genlab[speech]').", ""]
    return [*heard_table(heard, corpus).markdown(), ""]


def _source_lines(sources: dict | None) -> list[str]:
    """The page's answer to which Debian package of the Asterisk prompts is better, when it was measured."""
    if sources is None:
        return []
    rows = [(name, number(rates["wer"]), number(rates["cer"])) for name, rates in sources["rates"].items()]
    return ["## Which Asterisk recordings: 8 kHz WAV or 16 kHz G.722", "",
            f"The same {sources['prompts']} prompts ({sources['words']:,} words; seeded) from both Debian packages, "
            "heard by PocketSphinx: the corpus is converted from the one it hears better (data/asterisk.py).", "",
            *Table(("recordings", "WER (Sphinx)", "CER (Sphinx)"), rows).markdown(), ""]


def _write(out: Path, corpora, tts_steps: int, vocoder_steps: int, utterances: int, results: dict,
           sources: dict | None = None) -> Path:
    rows = [(f"{corpus}: {label}", *(number(scores[m]) for m in METRICS))
            for corpus in corpora for label, scores in results[corpus]["rows"].items()]
    rows += [(label, *(figures.get(m, "") for m in METRICS)) for label, figures in ANCHORS]
    listen = [f"- {corpus}: " + ", ".join(f"[{name}](speech/{name})" for name in results[corpus]["listen"])
              for corpus in corpora]
    tts_sizes = ", ".join(f"{k} {v}" for k, v in TTS.items())
    counts = ", ".join(f"{corpus} {results[corpus]['utterances']}" for corpus in corpora)
    threads = ", ".join(f"{corpus} on {results[corpus].get('threads', '?')} thread(s)" for corpus in corpora)
    text = "\n".join([
        "# Speech: text to speech on held-out sentences", "",
        f"`genlab bench speech --corpora {','.join(corpora)} --tts-steps {tts_steps} --vocoder-steps {vocoder_steps} "
        f"--utterances {utterances}`: per corpus, the vocoder ({VOCODER['generator']} generator) trained "
        f"{vocoder_steps:,} steps (batch {VOCODER_TRAINING['batch_size']}, Adam {VOCODER_TRAINING['lr']:g}) and the "
        f"tts {tts_steps:,} (batch {TTS_TRAINING['batch_size']}, Adam {TTS_TRAINING['lr']:g}; {tts_sizes}), up to "
        f"{utterances} held-out sentences each ({counts}). MCD: mel-cepstral distortion in dB (order 34, alpha "
        "0.455, c0 left out, DTW, power floored 80 dB below the loudest bin: metrics/speech.py); log-F0 RMSE over "
        "frames voiced in both (YIN); V/UV error; length: the synthesised audio's over the recording's (the tts's "
        f"speaking rate); RTF: synthesis time over audio duration on this machine's CPU ({threads}). Rows 'the "
        "recording's mel + ...' are each vocoder's floor. WER / CER: word / character error rates of the offline "
        "recogniser CMU PocketSphinx 5 (the wheel's US English model; metrics/recognition.py) against the "
        "transcripts' words; it mishears the recordings too, so 'the recording itself' is intelligibility's floor, "
        "not zero.", "",
        *Table(("corpus: what speaks", *METRICS.values()), rows).markdown(), "",
        "## What the recogniser heard (the first held-out sentences)", "",
        *[line for corpus in corpora for line in _heard(corpus, results[corpus].get("heard", []))],
        "## Listen (held-out sentences: the recording, then genlab's tts through the vocoder)", "", *listen, "",
        *[f"![{corpus} mel spectrograms](speech/{corpus}-mel.png)" for corpus in corpora], "",
        *_source_lines(sources)])
    path = out / "speech.md"
    atomic_write(path, text.encode())
    return path
