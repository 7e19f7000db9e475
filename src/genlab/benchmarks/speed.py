"""`genlab bench speed`: how close genlab runs to what this machine can do.

Training: for every family on its usual data at its default size (and at `bench families`' settings where
those differ), milliseconds per optimisation step, the FLOPs of one step, the GFLOP/s that makes and its
share of this machine's peak, measured in the same run at each thread count asked for. The peak is the
faster of a 2048 x 2048 fp32 matmul and a large 3 x 3 convolution at that thread count (training/peak.py).

FLOPs are counted by torch.utils.flop_counter.FlopCounterMode (Trainer.step_gflops) over one training step's
forward and backward pass: its matrix products and convolutions (attention included). Elementwise work
(activations, norms, the optimizer's update, the EMA) costs time but counts no FLOPs, so a family made of
small tensors shows a low share: that share is time spent outside the arithmetic the hardware is built for.

Inference: the paths people wait on, timed on models of the families' default sizes trained one step (the
computation does not depend on the weights): diffusion sampling with its default sampler, pixelcnn and
charrnn sampling, `upscale` of a 512 x 512 photo, `speak`'s real-time factor, and `evaluate` of the demo's
model.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from genlab.benchmarks.checks import positive
from genlab.errors import UserError
from genlab.files import atomic_write
from genlab.tables import Table

class Case(NamedTuple):
    """One training measurement: `family` on `data` with model and training options."""

    label: str
    family: str
    data: str
    model: dict
    training: dict


# Each family's usual data: what its docs and benchmarks train it on.
USUAL_DATA = {
    "vae": "mnist", "tcvae": "dsprites", "factorvae": "dsprites", "gan": "mnist", "pixelcnn": "mnist",
    "flow": "mnist", "diffusion": "mnist", "classifier": "mnist", "ssvae": "mnist", "m1m2": "mnist",
    "codec": "photos", "srresnet": "photos", "srgan": "photos", "slots": "tetrominoes", "charrnn": "moses",
    "smiles-vae": "moses", "predictor": "chembl-assay", "tts": "espeak", "vocoder": "espeak",
    "video-predict": "moving-mnist", "video": "moving-mnist",
}


def training_cases() -> list[Case]:
    """The demo's step, every family at its defaults on its usual data, and `bench families`' settings."""
    from genlab.apps.demo import DEMO_SETTINGS
    from genlab.benchmarks.settings import FAMILY_SETTINGS
    from genlab.models.registry import MODELS

    demo = DEMO_SETTINGS["model"]
    cases = [Case("demo (vae on digits)", "vae", DEMO_SETTINGS["data"]["source"],
                  {k: v for k, v in demo.items() if k != "name"},
                  {"batch_size": DEMO_SETTINGS["training"]["batch_size"]})]
    cases += [Case(family, family, USUAL_DATA[family], {}, {}) for family in MODELS]
    for family, settings in FAMILY_SETTINGS.items():  # where the benchmark's network or batch differs
        batch = {k: v for k, v in settings["training"].items() if k == "batch_size"}
        if settings["model"] or batch:
            cases.append(Case(f"{family} (bench families)", family, "mnist", settings["model"], batch))
    return cases


def _config(case: Case, seed: int):
    from genlab.config import load_config

    return load_config(None, {"data": {"source": case.data}, "model": {"name": case.family, **case.model},
                              "training": {"steps": 1, "eval_every": 1} | case.training, "": {"seed": seed}})


def _with_features(case: Case, work: Path, seed: int) -> Case:
    """m1m2 learns on the latents of a trained vae (model.features=RUN): one step of one is enough to time it."""
    if case.family != "m1m2" or "features" in case.model:
        return case
    from genlab.training.run import train

    vae = Case("m1", "vae", case.data, {}, {})
    train(_config(vae, seed), work / "m1", quiet=True)
    return case._replace(model=case.model | {"features": str(work / "m1")})


def time_training(case: Case, steps: int, warmup: int, *, seed: int = 0) -> dict:
    """{"batch", "ms_per_step", "gflop_per_step"} of `case` at the current thread count."""
    from genlab.training.distributed import close_world, init_world
    from genlab.training.run import make_trainer

    with tempfile.TemporaryDirectory() as tmp:
        case = _with_features(case, Path(tmp), seed)
        world = init_world("cpu")
        try:
            trainer = make_trainer(_config(case, seed), Path(tmp) / "run", world, quiet=True)
            for _ in range(warmup):
                trainer.train_step()
            gflop = trainer.step_gflops()
            started = time.perf_counter()
            for _ in range(steps):
                trainer.train_step()
            seconds = (time.perf_counter() - started) / steps
        finally:
            close_world(world)
    return {"batch": trainer.tcfg.batch_size, "ms_per_step": 1000 * seconds,
            "gflop_per_step": gflop}


# --- inference ----------------------------------------------------------------------------------------------
class Timed(NamedTuple):
    """One inference measurement: what is timed, its unit, and the function that measures it in that unit
    (given a work folder for its runs, shared by every measurement, and the seed)."""

    label: str
    unit: str
    measure: Callable[[Path, int], float]


def _one_step_run(work: Path, name: str, data: str, model: dict | None = None, training: dict | None = None,
                  seed: int = 0) -> Path:
    """A run of `name` at its default size trained one step (inference time does not depend on the weights)."""
    from genlab.training.run import train

    folder = work / name
    if not folder.exists():
        train(_config(Case(name, name, data, model or {}, training or {}), seed), folder, quiet=True)
    return folder


def _sampling(family: str, n: int) -> Callable[[Path, int], float]:
    def timed(work: Path, seed: int) -> float:
        from genlab.models.loading import load_run
        from genlab.sampling import sample

        run = load_run(_one_step_run(work, family, USUAL_DATA[family]))
        sample(run, 1, seed=seed)  # warm-up
        started = time.perf_counter()
        sample(run, n, seed=seed)
        return 1000 * (time.perf_counter() - started) / n
    return timed


def _upscale(work: Path, seed: int) -> float:
    import numpy as np

    from genlab.apps.superres import upscale_array
    from genlab.models.loading import load_run

    run = load_run(_one_step_run(work, "srresnet", "photos"))
    low = np.random.default_rng(seed).integers(0, 256, (3, 128, 128), dtype=np.uint8)  # 512 x 512 out at x4
    started = time.perf_counter()
    upscale_array(run.model, low)
    return 1000 * (time.perf_counter() - started)


def _speak(work: Path, seed: int) -> float:
    from genlab.apps.speak import speak
    from genlab.models.loading import load_run

    tts = _one_step_run(work, "tts", "espeak")
    vocoder = _one_step_run(work, "vocoder", "espeak")
    result = speak(load_run(tts), ["Please hold while I try to connect your call."], work / "spoken.wav",
                   vocoder=vocoder)
    return result.real_time_factor


def _evaluate_demo(work: Path, seed: int) -> float:
    from genlab.apps.demo import DEMO_SETTINGS
    from genlab.evaluation import evaluate
    from genlab.models.loading import load_run

    run = load_run(_one_step_run(work, "vae", "digits", {k: v for k, v in DEMO_SETTINGS["model"].items()
                                                          if k != "name"}))
    evaluate(run, iwae_k=1, samples=10)  # warm-up: the feature classifier trained and cached
    started = time.perf_counter()
    evaluate(run, iwae_k=100)
    return time.perf_counter() - started


INFERENCE = [
    Timed("diffusion sampling, default sampler (mnist)", "ms / image", _sampling("diffusion", 16)),
    Timed("pixelcnn sampling (mnist)", "ms / image", _sampling("pixelcnn", 16)),
    Timed("charrnn sampling (moses)", "ms / molecule", _sampling("charrnn", 64)),
    Timed("upscale x4 to 512 x 512 (srresnet)", "ms / picture", _upscale),
    Timed("speak, tts + vocoder (espeak)", "real-time factor", _speak),
    Timed("evaluate the demo's model (IWAE-100, 1,000 samples)", "s / evaluation", _evaluate_demo),
]


# --- the page -----------------------------------------------------------------------------------------------
def _measured(measure: Callable[[], object]) -> object:
    """measure()'s result, or the reason it could not run here (optional data or package missing)."""
    try:
        return measure()
    except UserError as err:
        return {"not measured": str(err)}


def speed_bench(out: Path, *, threads: list[int], steps: int = 10, warmup: int = 3, families: list[str] | None = None,
                inference: bool = True, compile: bool = False, seed: int = 0,
                progress: Callable[[str], None] = print, peak_size: int | None = None) -> list[Path]:
    """Measure at each thread count; write <out>/speed.md and speed.json (the same figures). compile: each
    training case again with training.compile, in the row below it (before and after, in one run)."""
    from genlab.machine import cpu_name
    from genlab.models.registry import MODELS
    from genlab.training.peak import PEAK_SIZE, kernels_in_words, measure_kernels
    from genlab.training.threads import torch_threads

    if not threads or any(t < 1 for t in threads):
        raise UserError(f"--threads {','.join(map(str, threads))!r} must name thread counts of 1 or more: pass "
                        "--threads 1,2, for example.")
    positive("--steps", steps, "10")
    unknown = sorted(set(families or ()) - set(MODELS))
    if unknown:
        raise UserError(f"--families names unknown families ({', '.join(unknown)}): use {', '.join(MODELS)}.")
    import torch

    cases = [case for case in training_cases() if families is None or case.family in families]
    if compile:
        cases = [variant for case in cases for variant in
                 (case, case._replace(label=f"{case.label}, compiled", training=case.training | {"compile": True}))]
    timed = [t for t in INFERENCE if inference]
    peak_size = PEAK_SIZE if peak_size is None else peak_size
    result: dict = {"cpu": cpu_name(), "torch": torch.__version__, "steps": steps, "warmup": warmup,
                    "peak_size": peak_size, "peak_kernels": kernels_in_words(peak_size), "kernel_gflops": {}, "families": families, "inference_timed": inference,
                    "peak_gflops": {}, "training": {c.label: {"family": c.family, "data": c.data} for c in cases},
                    "inference": {t.label: {"unit": t.unit} for t in timed}}
    with tempfile.TemporaryDirectory() as tmp:
        for count in threads:
            with torch_threads(count):
                kernels = result["kernel_gflops"][str(count)] = measure_kernels(size=peak_size)
                peak = result["peak_gflops"][str(count)] = max(kernels.values())
                progress(f"{count} thread(s): peak {peak:.0f} GFLOP/s{_kernels(result, count)}")
                for case in cases:
                    got = _measured(lambda: time_training(case, steps, warmup, seed=seed))
                    if "ms_per_step" in got:
                        got["gflops"] = got["gflop_per_step"] / got["ms_per_step"] * 1000
                        got["share_of_peak"] = got["gflops"] / peak
                        progress(f"  {case.label}: {got['ms_per_step']:.1f} ms/step, "
                                 f"{100 * got['share_of_peak']:.0f} % of peak")
                    result["training"][case.label][str(count)] = got
                for item in timed:
                    got = _measured(lambda: {"value": item.measure(Path(tmp), seed)})
                    progress(f"  {item.label}: {got}")
                    result["inference"][item.label][str(count)] = got
    return _write(Path(out), result, threads)


def _cell(got: dict | None, key: str, fmt: str = "") -> str:
    """The figure `key` of one measurement (fmt, or three significant digits with thousands separated)."""
    if not got or key not in got:
        return "not measured" if got else ""
    value = got[key]
    return format(value, fmt) if fmt else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}")


def _command(result: dict, threads: list[int]) -> str:
    """The `genlab bench speed` command that measured `result` (older records name no families)."""
    families = result.get("families")
    return " ".join([f"genlab bench speed --threads {','.join(map(str, threads))} --steps {result['steps']}",
                     *([f"--families {','.join(families)}"] if families else []),
                     *([] if result.get("inference_timed", True) else ["--no-inference"])])


def _kernels(result: dict, threads: int) -> str:
    """" (matmul A, conv3x3 B)" for one thread count, where the record holds both (older records do not)."""
    kernels = result.get("kernel_gflops", {}).get(str(threads))
    return " (" + ", ".join(f"{name} {gflops:.0f}" for name, gflops in kernels.items()) + ")" if kernels else ""


def _write(out: Path, result: dict, threads: list[int]) -> list[Path]:
    per_thread = [(f"ms / step ({t})", f"GFLOP/s ({t})", f"share of peak ({t})") for t in threads]
    columns = ("case", "data", "batch", "GFLOP / step", *[c for group in per_thread for c in group])
    rows, reasons = [], []
    for label, entry in result["training"].items():
        first = next((entry[str(t)] for t in threads if "ms_per_step" in entry.get(str(t), {})), None)
        cells = []
        for t in threads:
            got = entry.get(str(t))
            cells += [_cell(got, "ms_per_step", ".1f"), _cell(got, "gflops", ".1f"), _cell(got, "share_of_peak", ".0%")]
            if got and "not measured" in got:
                reasons.append(f"- {label}: {got['not measured']}")
        rows.append((label, entry["data"], _cell(first, "batch", "d"), _cell(first, "gflop_per_step", ".2f"), *cells))
    inference = [(label, entry["unit"], *[_cell(entry.get(str(t)), "value") for t in threads])
                 for label, entry in result["inference"].items()]
    peaks = "; ".join(f"{float(result['peak_gflops'][str(t)]):.0f} GFLOP/s on {t} thread(s)" + _kernels(result, t)
                      for t in threads)
    text = "\n".join([
        "# Speed against this machine's own peak", "",
        f"`{_command(result, threads)}` on {result['cpu']}, "
        f"torch {result['torch']}. Peak: the faster of two fp32 kernels, {result['peak_kernels']} (on AMD CPUs "
        f"torch's matmul takes MKL's AVX2 path while its convolutions use AVX-512): {peaks}. "
        "Training: the mean of "
        f"{result['steps']} steps after {result['warmup']} warm-up steps, at each thread count in turn (the number "
        "in brackets). FLOPs: matmuls and convolutions of one training step, forward and backward, as "
        "torch.utils.flop_counter.FlopCounterMode counts them; elementwise work and the optimizer cost time but "
        "no FLOPs, so a low share is time spent outside the arithmetic the CPU is built for. Timings move by a "
        "few percent from run to run, more when another process shares the cores.", "",
        "## Training", "",
        *Table(columns, rows).markdown(), "",
        *(["Not measured here:", "", *sorted(set(reasons)), ""] if reasons else []),
        *(["## Inference", "",
           "Models of the families' default sizes trained one step: the computation does not depend on the weights. "
           "The real-time factor is synthesis time over the audio's duration (below 1: faster than real time).", "",
           *Table(("path", "unit", *[f"{t} thread(s)" for t in threads]), inference).markdown(), ""]
          if inference else []),
    ])
    out.mkdir(parents=True, exist_ok=True)
    page, record = out / "speed.md", out / "speed.json"
    atomic_write(record, json.dumps(result, indent=1).encode())
    atomic_write(page, text.encode())
    return [page, record]
