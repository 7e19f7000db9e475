"""Video: Moving MNIST drawn by genlab, clips as animations, OpenSTL's prediction metrics on constructed cases,
and video-predict trained, evaluated and continuing clips through the CLI, with its bad inputs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from genlab.data.moving_digits import DIGIT, moving_digits, trajectories
from genlab.errors import UserError
from genlab.metrics.video import EXACT_PSNR, copy_last_frame, frame_scores, prediction_scores


def _pool(n: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 256, (n, DIGIT, DIGIT)).astype(np.uint8)


# --- the generator -------------------------------------------------------------------------------------------


def test_digits_bounce_inside_the_frame_at_a_constant_speed():
    corners = trajectories(200, np.random.default_rng(0), frames=40)  # (N, T, digits, 2)
    assert corners.min() == 0 and corners.max() == 36  # every edge reached, none crossed
    steps = np.abs(np.diff(corners, axis=1))
    assert steps.max() <= 4  # 3.6 pixels a frame, rounded; a bounce only shortens a step


def test_each_frame_is_its_digits_drawn_at_their_corners_brighter_pixel_winning():
    pool = _pool()
    clips, chosen, corners = moving_digits(pool, 5, seed=3, frames=6)
    assert clips.shape == (5, 6, 1, 64, 64) and clips.dtype == np.uint8
    for i in range(5):
        for t in range(6):
            expected = np.zeros((64, 64), np.uint8)
            for k in range(2):
                r, c = corners[i, t, k]
                window = expected[r : r + DIGIT, c : c + DIGIT]
                np.maximum(window, pool[chosen[i, k]], out=window)
            np.testing.assert_array_equal(clips[i, t, 0], expected)
    again = moving_digits(pool, 5, seed=3, frames=6)[0]
    np.testing.assert_array_equal(again, clips)  # the same seed, the same clips


def test_moving_mnist_clips_move_the_digits_of_their_own_split(monkeypatch):
    from genlab.data import builtin

    monkeypatch.setattr(builtin, "MOVING_CLIPS", {"train": 12, "val": 4, "test": 12})
    builtin._moving.cache_clear()
    data = builtin.BUILTINS["moving-mnist"].load()
    builtin._moving.cache_clear()
    mnist = builtin.BUILTINS["mnist"].load()
    glyphs = {name: {g.tobytes() for g in mnist.split(name).x[:, 0]} for name in ("train", "test")}
    for name in ("train", "test"):
        split = data.split(name)
        assert split.x.shape == (12, 20, 1, 64, 64) and split.extras["digits"].shape == (12, 2)
        found = 0
        for clip, corners in zip(split.x, split.extras["corners"]):
            apart = [t for t, ((r0, c0), (r1, c1)) in enumerate(corners) if abs(r0 - r1) >= DIGIT or abs(c0 - c1) >= DIGIT]
            for t in apart[:1]:  # a frame where the digits do not overlap: each one whole
                for r, c in corners[t]:
                    window = clip[t, 0, r : r + DIGIT, c : c + DIGIT].tobytes()
                    other = "test" if name == "train" else "train"
                    assert window in glyphs[name] and window not in glyphs[other]
                    found += 1
        assert found >= 12


def test_fashion_mnist_is_read_from_idx_files(tmp_path):
    import gzip

    from genlab.data.fashion import load_fashion, read_idx

    pictures = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    header = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big") for d in pictures.shape)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + pictures.tobytes()))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])))
    np.testing.assert_array_equal(read_idx(tmp_path / "train-images-idx3-ubyte.gz"), pictures)
    (tmp_path / "broken.gz").write_bytes(gzip.compress(header + pictures.tobytes()[:-5]))
    with pytest.raises(UserError, match="reinstall"):
        read_idx(tmp_path / "broken.gz")
    with pytest.raises(UserError, match="make fashion-data"):
        load_fashion(tmp_path / "elsewhere")


# --- pictures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_clips_written_as_an_animation_read_back_frame_for_frame(tmp_path, suffix):
    from genlab.data.animations import read_animation
    from genlab.media.video import clip_grid_frames, save_clips

    clips = moving_digits(_pool(), 3, seed=1, frames=5, size=48)[0]
    clips[:, 3] = clips[:, 2]  # a still moment: GIF stores it as one frame shown twice as long
    written = save_clips(clips, 256, tmp_path / f"clips{suffix}", nrow=3)
    frames = read_animation(written)
    expected = np.stack([np.asarray(im) for im in clip_grid_frames(clips, 256, 3)])  # (T, H, W) grey
    got = frames if frames.ndim == 3 else frames[..., 0]
    assert got.shape == expected.shape and np.array_equal(got, expected)
    with pytest.raises(UserError, match=".gif or .webp"):
        save_clips(clips, 256, tmp_path / "clips.png")
    assert not (tmp_path / "clips.png").exists()


# --- metrics -------------------------------------------------------------------------------------------------


def test_prediction_metrics_follow_openstl_conventions():
    true = np.zeros((2, 3, 1, 4, 5), np.uint8)
    true[:, 1] = 255  # the middle frame white, the others black
    scores = frame_scores(np.zeros_like(true), true, 256)
    np.testing.assert_allclose(scores["mse"], [[0, 20, 0]] * 2)  # summed over a frame's 20 pixels, on [0, 1]
    np.testing.assert_allclose(scores["mae"], [[0, 20, 0]] * 2)
    np.testing.assert_allclose(scores["psnr"][:, 1], 0.0)  # all wrong by the whole range: 0 dB
    assert (scores["psnr"][:, [0, 2]] == EXACT_PSNR).all() and np.allclose(scores["ssim"][:, [0, 2]], 1.0)
    means, by_frame = prediction_scores(np.zeros_like(true), true, 256)
    assert means["mse"] == pytest.approx(20 / 3) and by_frame == pytest.approx([0, 20, 0])
    half = np.full_like(true, 255)
    half[..., :2] = 0  # two of five columns wrong in every frame: MSE 8 per frame
    assert frame_scores(half, np.full_like(true, 255), 256)["mse"] == pytest.approx(np.full((2, 3), 8.0))
    with pytest.raises(ValueError, match="must both be"):
        frame_scores(true[:, :2], true, 256)


def test_copy_last_frame_holds_the_last_seen_frame():
    seen = np.arange(2 * 3 * 1 * 2 * 2).reshape(2, 3, 1, 2, 2)
    held = copy_last_frame(seen, 4)
    assert held.shape == (2, 4, 1, 2, 2) and all(np.array_equal(held[:, t], seen[:, -1]) for t in range(4))


# --- through the CLI -----------------------------------------------------------------------------------------

TINY = {"context": 4, "spatial": 4, "temporal": 8, "groups": 2, "blocks": 1}


@pytest.fixture(scope="module")
def video_run(tmp_path_factory, genlab_at):
    """A video-predict run trained a few steps on 30 8-frame 32x32 clips given as the user's (N, T, H, W) .npy."""
    folder = tmp_path_factory.mktemp("video")
    clips = moving_digits(_pool(), 30, seed=2, frames=8, size=32)[0]
    np.save(folder / "clips.npy", clips[:, :, 0])
    options = [arg for key, value in TINY.items() for arg in ("--set", f"model.{key}={value}")]
    trained = genlab_at(["train", "--data", "clips.npy", "--model", "video-predict", *options, "--steps", "4",
                         "--batch-size", "4", "--set", "training.eval_every=4", "--quiet", "--out", "run"], folder)
    assert trained.returncode == 0, str(trained)
    return folder


def test_train_evaluate_and_continue_clips(video_run, genlab_at, metrics):
    from genlab.data.animations import read_animation
    from genlab.media.video import clip_grid_frames

    run = video_run / "run"
    assert json.loads((run / "config.json").read_text())["dataset"]["modality"] == "video"
    record = [r for r in metrics(run) if r.get("split") == "val"][-1]
    assert record["val_frame_mse"] > 0 and record["val_copy_last_mse"] > 0
    assert list((run / "samples").glob("*.gif"))  # the preview: true clips above the forecasts
    evaluated = genlab_at(["evaluate", "run", "--clips", "3"], video_run)
    assert evaluated.returncode == 0 and "copy the last seen frame" in evaluated.stdout, str(evaluated)
    result = json.loads((run / "evaluation.json").read_text())["results"]["forecast"]
    assert result["clips"] == 3 and result["context"] == 4 and result["frames"] == 4
    assert set(result["model"]) == set(result["copy_last"]) == {"mse", "mae", "ssim", "psnr"}
    assert len(result["model_by_frame"]) == 4 and (run / "report" / "forecast.gif").exists()
    assert "Forecast" in (run / "report.md").read_text()

    clips = np.load(video_run / "clips.npy")
    np.save(video_run / "seen.npy", clips[:2, :5])  # one frame more than the run looks at
    done = genlab_at(["sample", "run", "--context", "seen.npy", "--frames", "6", "-o", "more.gif", "--npy",
                      "more.npy"], video_run)
    assert done.returncode == 0 and "2 continued clips" in done.stdout, str(done)
    continued = np.load(video_run / "more.npy")
    assert continued.shape == (2, 10, 1, 32, 32) and np.array_equal(continued[:, :4, 0], clips[:2, 1:5])
    shown = read_animation(video_run / "more.gif")
    expected = np.stack([np.asarray(im) for im in clip_grid_frames(continued, 256, None)])
    assert np.array_equal(shown, expected)  # the GIF holds exactly the clips written to .npy
    frames = [Image.fromarray(frame) for frame in clips[0, 1:5]]  # one clip as a GIF of its own frames
    frames[0].save(video_run / "seen.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    from_gif = genlab_at(["sample", "run", "--context", "seen.gif", "--frames", "6", "--npy", "gif.npy"], video_run)
    assert from_gif.returncode == 0, str(from_gif)
    assert np.array_equal(np.load(video_run / "gif.npy"), continued[:1])


def test_video_commands_refuse_what_they_cannot_do(video_run, digits_run, genlab_at, user_error, tmp_path):
    user_error(genlab_at(["sample", "run"], video_run), "does not generate samples", "--context")
    user_error(genlab_at(["sample", "run", "--frames", "3"], video_run), "--frames", "--context")
    user_error(genlab_at(["sample", "run", "--context", "nowhere.npy"], video_run), "nowhere.npy")
    np.save(tmp_path / "small.npy", np.zeros((2, 5, 16, 16), np.uint8))
    user_error(genlab_at(["sample", "run", "--context", str(tmp_path / "small.npy")], video_run), "(1, 32, 32)")
    np.save(tmp_path / "short.npy", np.zeros((2, 2, 32, 32), np.uint8))
    user_error(genlab_at(["sample", "run", "--context", str(tmp_path / "short.npy")], video_run), "at least 4")
    for name, empty in (("none.npy", (0, 5, 32, 32)), ("frameless.npy", (2, 0, 32, 32))):  # once a numpy traceback
        np.save(tmp_path / name, np.zeros(empty, np.uint8))
        user_error(genlab_at(["sample", "run", "--context", str(tmp_path / name)], video_run), name, "at least one")
    (tmp_path / "text.npy").write_text("0 1 2\n3 4 5\n")  # never advise allow_pickle for a user's file
    message = user_error(genlab_at(["sample", "run", "--context", str(tmp_path / "text.npy")], video_run), "text.npy")
    assert "pickle" not in message and "not a NumPy" in message
    np.save(tmp_path / "seen.npy", np.zeros((1, 4, 32, 32), np.uint8))
    user_error(genlab_at(["sample", "run", "--context", str(tmp_path / "seen.npy"), "--frames", "0"], video_run),
               "--frames 0")
    user_error(genlab_at(["sample", "run", "--context", str(tmp_path / "seen.npy"), "-o", "x.png"], video_run),
               ".gif or .webp")
    assert not (video_run / "x.png").exists()
    user_error(genlab_at(["sample", str(digits_run), "--context", str(tmp_path / "seen.npy")], video_run),
               "does not continue clips")
    user_error(genlab_at(["train", "--data", "clips.npy", "--model", "video-predict", "--set", "model.context=8",
                          "--steps", "1", "--out", "never"], video_run), "model.context=4")
    user_error(genlab_at(["train", "--data", "digits", "--model", "video-predict", "--steps", "1", "--out", "never"],
                         video_run), "video")
    assert not (video_run / "never").exists()


def test_a_folder_of_animated_gifs_is_clips_with_class_subfolders_as_labels(tmp_path):
    from genlab.data import load_dataset

    clips = moving_digits(_pool(), 12, seed=6, frames=5, size=32)[0][:, :, 0]  # (12, 5, 32, 32)
    for i, clip in enumerate(clips):
        folder = tmp_path / "clips" / ("odd" if i % 2 else "even")
        folder.mkdir(parents=True, exist_ok=True)
        frames = [Image.fromarray(frame) for frame in clip]
        frames[0].save(folder / f"{i:02d}.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    data = load_dataset(str(tmp_path / "clips"))
    assert data.spec.modality == "video" and data.spec.shape == (5, 1, 32, 32) and data.spec.class_names == ("even", "odd")
    everything = np.concatenate([data.train.x, data.val.x, data.test.x])
    assert sorted(c.tobytes() for c in everything) == sorted(c[:, None].tobytes() for c in clips)  # frame for frame
    short = [Image.fromarray(frame) for frame in clips[0, :3]]
    short[0].save(tmp_path / "clips" / "odd" / "short.gif", save_all=True, append_images=short[1:], duration=100)
    with pytest.raises(UserError, match="same length"):
        load_dataset(str(tmp_path / "clips"))


def test_a_still_file_among_clips_is_named(tmp_path):
    """A folder of animated GIFs with one single-frame GIF once became images ("holds image: use a family made
    for image"); a folder of images with one animated GIF stays images (its first frame)."""
    from genlab.data import load_dataset

    rng = np.random.default_rng(0)

    def gif(path, frames):
        pictures = [Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)) for _ in range(frames)]
        pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, loop=0)

    (tmp_path / "clips").mkdir()
    for i in range(11):
        gif(tmp_path / "clips" / f"{i:02d}.gif", 4)
    gif(tmp_path / "clips" / "still.gif", 1)
    with pytest.raises(UserError, match=r"still\.gif has a single frame, among 11 animated clips .*remove it"):
        load_dataset(str(tmp_path / "clips"))
    (tmp_path / "images").mkdir()
    for i in range(11):
        gif(tmp_path / "images" / f"{i:02d}.gif", 1)
    gif(tmp_path / "images" / "moving.gif", 4)
    assert load_dataset(str(tmp_path / "images")).spec.modality == "image"


def test_a_users_array_is_video_when_its_axes_say_so(tmp_path):
    from genlab.data import load_dataset

    np.save(tmp_path / "clips.npy", np.zeros((20, 5, 8, 8), np.uint8))  # (N, T, H, W)
    np.save(tmp_path / "rgb.npy", np.zeros((20, 3, 8, 8), np.uint8))  # (N, C, H, W): images, never 3-frame clips
    np.save(tmp_path / "colour.npy", np.zeros((20, 5, 3, 8, 8), np.uint8))  # (N, T, C, H, W)
    assert load_dataset(str(tmp_path / "clips.npy")).spec.shape == (5, 1, 8, 8)
    assert load_dataset(str(tmp_path / "rgb.npy")).spec.modality == "image"
    assert load_dataset(str(tmp_path / "colour.npy")).spec.modality == "video"
    np.save(tmp_path / "odd.npy", np.zeros((20, 5, 2, 8, 8), np.uint8))
    with pytest.raises(UserError, match="C = 1 or 3"):
        load_dataset(str(tmp_path / "odd.npy"))


def test_the_video_family_samples_clips_and_continues_them(video_run, genlab_at):
    """SVG-LP trained a few steps: whole clips from nothing, and continuations that differ by seed."""
    trained = genlab_at(["train", "--data", "clips.npy", "--model", "video", "--set", "model.context=4", "--set",
                         "model.channels=4", "--set", "model.hidden=16", "--steps", "3", "--batch-size", "4",
                         "--quiet", "--out", "svg"], video_run)
    assert trained.returncode == 0, str(trained)
    drawn = genlab_at(["sample", "svg", "-n", "3", "-o", "drawn.gif", "--npy", "drawn.npy"], video_run)
    assert drawn.returncode == 0 and "3 samples" in drawn.stdout, str(drawn)
    clips = np.load(video_run / "drawn.npy")
    assert clips.shape == (3, 8, 1, 32, 32) and (video_run / "drawn.gif").exists()
    np.save(video_run / "given.npy", np.load(video_run / "clips.npy")[:1, :4])
    for seed in (0, 1):
        done = genlab_at(["sample", "svg", "--context", "given.npy", "--seed", str(seed), "--npy", f"c{seed}.npy",
                          "-o", f"c{seed}.gif"], video_run)
        assert done.returncode == 0, str(done)
    first, second = np.load(video_run / "c0.npy"), np.load(video_run / "c1.npy")
    assert first.shape == (1, 8, 1, 32, 32) and np.array_equal(first[:, :4], second[:, :4])
    assert not np.array_equal(first[:, 4:], second[:, 4:])  # another seed, another future


def test_sampled_clips_are_measured_in_frame_and_clip_features(tmp_path, monkeypatch):
    """The clips evaluator trains a frame classifier (frames:SOURCE) and a clip classifier on labelled clips and
    sets the samples' FD beside the real clips' floor in both spaces."""
    from genlab import api
    from genlab.data.moving_digits import pair_labels
    from genlab.evaluation import features

    monkeypatch.setattr(features, "MIN_STEPS", 10)  # the feature classifiers: a few steps are enough here
    monkeypatch.setattr(features, "MAX_STEPS", 10)
    clips, chosen, _ = moving_digits(_pool(4), 60, seed=4, frames=4, size=32)
    np.savez(tmp_path / "labelled.npz", x=clips, y=pair_labels(chosen % 2))  # 3 classes of digit pairs
    config = api.load_config(None, {"data": {"source": str(tmp_path / "labelled.npz")},
                                    "model": {"name": "video", "context": 2, "channels": 4, "hidden": 8},
                                    "training": {"steps": 2, "batch_size": 4}})
    api.train(config, tmp_path / "run", quiet=True)
    result = api.evaluate(api.load_run(tmp_path / "run"), samples=6, clips=2)["clips"]
    assert result.clips == 6 and set(result.quality) == {"frames", "clips"}
    for space in ("frames", "clips"):
        assert result.quality[space]["real"].fd >= 0 and result.quality[space]["model"].fd > 0
        assert 0 <= result.accuracy[space] <= 1
    assert "FVD-like" in "\n".join(result.section(api.read_evaluation(api.load_run(tmp_path / "run")).header).text)


def test_bench_video_measures_every_piece_and_continues_from_its_records(tmp_path, monkeypatch):
    from genlab.benchmarks import video as bench
    from genlab.data.moving_digits import pair_labels
    from genlab.evaluation import features

    monkeypatch.setattr(features, "MIN_STEPS", 5)
    monkeypatch.setattr(features, "MAX_STEPS", 5)
    monkeypatch.setattr(bench, "INPAINTERS", {"pixelcnn": {"channels": 8, "layers": 2}})
    monkeypatch.setitem(bench.TRAINING, "batch_size", 4)
    clips, chosen, _ = moving_digits(_pool(4), 60, seed=5, frames=4, size=32)
    np.savez(tmp_path / "clips.npz", x=clips, y=pair_labels(chosen % 2))
    options = dict(data=str(tmp_path / "clips.npz"), images="digits", predict_steps=2, video_steps=2, inpaint_steps=2,
                   clips=6, samples=6, inpaint=6)
    monkeypatch.setattr(bench, "_config", lambda data, family, steps, opts=None: _tiny_config(data, family, steps, opts))
    page = bench.video_bench(tmp_path / "out", **options).read_text()
    assert "copy the last seen frame" in page and "SimVP (OpenSTL, 200 epochs)" in page and "FVD-like" in page
    assert "lower half filled" in page
    pictures = sorted(p.name for p in (tmp_path / "out" / "video").glob("*.*") if p.suffix != ".json")
    assert len(pictures) == 4 and all(f"video/{name}" in page for name in pictures)  # 2 forecasts, samples, inpaint
    shutil.rmtree(tmp_path / "out" / "runs")  # another machine: the records are all that is left

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(bench, "train_or_reuse", no_training)
    assert bench.video_bench(tmp_path / "out", **options).read_text() == page


def _tiny_config(data, family, steps, options):
    from genlab.config import load_config

    tiny = {"video-predict": {"context": 2, "spatial": 4, "temporal": 8, "groups": 2, "blocks": 1},
            "video": {"context": 2, "channels": 4, "hidden": 8}}.get(family, options or {})
    return load_config(None, {"data": {"source": data}, "model": {"name": family, **tiny},
                              "training": {"steps": steps, "batch_size": 4, "eval_every": steps}})
