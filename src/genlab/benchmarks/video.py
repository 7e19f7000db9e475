"""`genlab bench video`: moving pictures and editing at a CPU budget.

1. Prediction: video-predict (SimVP at a CPU's size) and the video family (SVG-LP, one drawn future per clip)
   continue 1,000 test clips of moving-mnist from 10 frames to 20, scored as OpenSTL scores (MSE and MAE summed
   over a frame's pixels, SSIM, PSNR) beside holding the last seen frame and OpenSTL's published rows.
2. Generation: the video family's sampled clips in frame-classifier and clip-classifier features (frame FD and
   an FVD-like distance, never FVD) beside the real test clips' own figures (the floor).
3. Inpainting: a diffusion model (RePaint) and a pixelcnn trained on MNIST fill the lower half of test digits,
   scored as samples are beside the originals, with both sets' bits/dim.

Every piece keeps its result beside the page (OUT/video/*.json, benchmarks/runs.py's `kept`) with its pictures,
so the benchmark continues piece by piece, on this machine or a fresh one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import kept, train_or_reuse
from genlab.config import RunConfig, load_config
from genlab.evaluation import evaluate
from genlab.evaluation.clips import SPACES, ClipResult
from genlab.evaluation.forecast import PICTURE as FORECAST_PICTURE
from genlab.evaluation.inpainting import PICTURE as INPAINT_PICTURE
from genlab.files import atomic_write
from genlab.media.video import save_clips
from genlab.metrics.video import METRICS
from genlab.sampling import sample
from genlab.tables import Table, number

BATCH = 16
TRAINING = {"batch_size": BATCH, "lr": 1e-3, "warmup_steps": 200}
INPAINTERS = {"diffusion": {"channels": 32}, "pixelcnn": {"channels": 32, "layers": 8}}
# OpenSTL (Tan et al. 2023), Moving MNIST 10 -> 10, 200 epochs on a GPU: MSE, MAE, SSIM (and SimVP at 2,000).
OPENSTL = {"PredRNN++ (OpenSTL, 200 epochs)": ("22.06", "", "0.951"),
           "PredRNN (OpenSTL, 200 epochs)": ("23.97", "", "0.946"),
           "SimVP (OpenSTL, 200 epochs)": ("26.69", "", "0.940"),
           "ConvLSTM (OpenSTL, 200 epochs)": ("29.80", "", "0.929"),
           "SimVP (OpenSTL, 2,000 epochs)": ("15.05", "", "0.967")}
SAMPLES_SHOWN = 8


def _config(data: str, family: str, steps: int, options: dict | None = None) -> RunConfig:
    return load_config(None, {"data": {"source": data}, "model": {"name": family, **(options or {})},
                              "training": {"steps": steps, "eval_every": min(steps, 1000), **TRAINING}})


def _piece(out: Path, name: str, config: RunConfig, measure) -> dict:
    """A run's measurement, kept in OUT/video/NAME.json beside its pictures (OUT/video/NAME-*)."""

    def compute() -> dict:
        return measure(train_or_reuse(out / "runs" / name, config, same_settings=True))

    return kept(out / "video" / f"{name}.json", config.model_dump(mode="json"), compute)


def _copy_picture(run, picture: Path, target: Path) -> str:
    shutil.copyfile(run.folder.path / picture, target)
    return target.name


def video_bench(out: Path, *, data: str = "moving-mnist", images: str = "mnist", predict_steps: int = 3000,
                video_steps: int = 3000, inpaint_steps: int = 3000, clips: int = 1000, samples: int = 500,
                inpaint: int = 200) -> Path:
    """Train (or reuse) the prediction, generation and inpainting runs, measure them and write video.md."""
    for option, value, example in (("--predict-steps", predict_steps, "3000"), ("--video-steps", video_steps, "3000"),
                                   ("--inpaint-steps", inpaint_steps, "3000"), ("--clips", clips, "1000"),
                                   ("--samples", samples, "500"), ("--inpaint", inpaint, "200")):
        positive(option, value, example)
    out = Path(out)
    folder = out / "video"
    folder.mkdir(parents=True, exist_ok=True)

    def forecasting(name: str):
        def measure(run) -> dict:
            evaluation = evaluate(run, samples=samples if run.model.can_sample else 0, clips=clips)
            result = {"forecast": evaluation["forecast"].model_dump(mode="json"),
                      "pictures": [_copy_picture(run, FORECAST_PICTURE, folder / f"{name}-forecast.gif")]}
            if run.model.can_sample:
                result["clips"] = evaluation["clips"].model_dump(mode="json")
                drawn = sample(run, SAMPLES_SHOWN, seed=0)
                result["pictures"].append(save_clips(drawn, run.spec.levels, folder / f"{name}-samples.gif",
                                                     nrow=SAMPLES_SHOWN // 2).name)
            return result
        return measure

    clips_name, images_name = Path(data).stem, Path(images).stem  # a built-in's name, or a file's stem

    def inpainting(name: str):
        def measure(run) -> dict:
            evaluation = evaluate(run, samples=0, iwae_k=1, inpaint=inpaint)
            return {"inpainting": evaluation["inpainting"].model_dump(mode="json"),
                    "pictures": [_copy_picture(run, INPAINT_PICTURE, folder / f"{name}-inpaint.png")]}
        return measure

    # inpainting first: it needs no feature classifier of clips, the slowest thing to train here
    inpainted = {family: _piece(out, f"{family}-{images_name}", _config(images, family, inpaint_steps, options),
                                inpainting(f"{family}-{images_name}"))
                 for family, options in INPAINTERS.items()}
    predicted = {family: _piece(out, f"{family}-{clips_name}", _config(data, family, steps),
                                forecasting(f"{family}-{clips_name}"))
                 for family, steps in (("video-predict", predict_steps), ("video", video_steps))}
    return _write(out, data, images, predict_steps, video_steps, inpaint_steps, predicted, inpainted)


def _write(out: Path, data: str, images: str, predict_steps: int, video_steps: int, inpaint_steps: int,
           predicted: dict, inpainted: dict) -> Path:
    forecast_rows, first = [], next(iter(predicted.values()))["forecast"]
    for family, result in predicted.items():
        scores = result["forecast"]["model"]
        forecast_rows.append((f"{family} (genlab)", *(number(scores[m], 3 if m == "ssim" else 2) for m in METRICS)))
    forecast_rows.append(("copy the last seen frame", *(number(first["copy_last"][m], 3 if m == "ssim" else 2)
                                                        for m in METRICS)))
    forecast_rows += [(name, mse, mae, ssim, "") for name, (mse, mae, ssim) in OPENSTL.items()]
    clip_rows = []
    generated = predicted["video"]["clips"]
    for space, label in SPACES.items() if not generated.get("skipped") else ():
        for who, name in (("real", "real test clips (floor)"), ("model", "video samples")):
            q = generated["quality"][space][who]
            clip_rows.append((label, name, f"{q['fd']:.2f}", f"{q['kid']:.3f}", f"{q['precision']:.3f}",
                              f"{q['recall']:.3f}"))
    inpaint_rows = []
    for family, result in inpainted.items():
        found = result["inpainting"]
        for who, name in (("real", "originals (floor)"), ("model", "lower half filled")):
            q = found["quality"][who]
            inpaint_rows.append((family, name, f"{q['fd']:.2f}", f"{q['precision']:.3f}", f"{q['recall']:.3f}",
                                 number(found["bits_per_dim"].get(who), 3)))
    pictures = [picture for result in [*predicted.values(), *inpainted.values()] for picture in result["pictures"]]
    text = "\n".join([
        "# Video and inpainting", "",
        f"`genlab bench video --data {data} --images {images} --predict-steps {predict_steps} --video-steps "
        f"{video_steps} --inpaint-steps {inpaint_steps}`: batch {BATCH}, Adam {TRAINING['lr']:g} with "
        f"{TRAINING['warmup_steps']} warm-up steps then cosine decay, seed 0, on 2 CPU cores.", "",
        f"## Prediction: {first['context']} frames seen, the next {first['frames']} predicted", "",
        f"{first['clips']:,} test clips (their digits unseen in training). MSE and MAE sum a frame's errors on "
        "[0, 1] over its pixels (OpenSTL's convention), averaged over frames; SSIM (scikit-image, 7x7 window) and "
        "PSNR per frame. The video family draws one future per clip, so its MSE pays for every plausible future it "
        "does not pick. OpenSTL's rows: Moving MNIST's fixed test set, 200 epochs of 10,000 clips on a GPU.", "",
        *Table(("method", *METRICS.values()), forecast_rows).markdown(), "",
        "## Generation: sampled clips", "",
        (f"Not measured: {generated['skipped']}." if generated.get("skipped") else
         f"{generated['clips']:,} sampled clips beside as many real test clips. " + ClipResult(**generated).reading()),
        "",
        *Table(("features", "clips", "FD", "KID", "precision", "recall"), clip_rows).markdown(), "",
        f"## Inpainting: the lower half of {images} test digits filled", "",
        "Each family fills the hidden lower half of the same test digits (diffusion by RePaint, 50 steps with 5 "
        "resamplings each; pixelcnn in raster order, exact for this mask); the filled images are measured as samples "
        "are, in the feature classifier's space against the training images, beside the originals. Bits/dim: "
        "under each model, originals against completed images.", "",
        *Table(("model", "images", "FD", "precision", "recall", "bits/dim"), inpaint_rows).markdown(), "",
        "## Pictures", "",
        *[line for picture in pictures for line in (f"![{picture}](video/{picture})", "")]])
    path = out / "video.md"
    atomic_write(path, text.encode())
    return path
