"""Inpainting through `genlab inpaint`: completions keep every unmasked pixel exactly, pixelcnn's completion of
a whole image is its sampler, and every bad request is one line with nothing written."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data.spec import DatasetSpec


def test_pixelcnn_completion_of_everything_is_its_sample():
    """A mask over the whole image leaves nothing known: the raster walk then draws exactly what sample draws."""
    from genlab.models.registry import build_model

    model = build_model("pixelcnn", DatasetSpec("g", (1, 6, 6), 4), {"channels": 8, "layers": 2}).eval()
    torch.manual_seed(3)
    drawn = model.sample(2)
    torch.manual_seed(3)
    filled = model.inpaint(torch.zeros(2, 1, 6, 6, dtype=torch.long), torch.ones(2, 6, 6, dtype=torch.bool))
    assert torch.equal(filled, drawn)


@pytest.fixture(scope="module")
def pixelcnn_run(tmp_path_factory, genlab_at):
    """A pixelcnn trained 3 steps on digits, and a test digit as an 8-bit PNG on the run's 17-level grid."""
    folder = tmp_path_factory.mktemp("inpaint")
    trained = genlab_at(["train", "--data", "digits", "--model", "pixelcnn", "--set", "model.channels=8", "--set",
                         "model.layers=2", "--steps", "3", "--quiet", "--out", "run"], folder)
    assert trained.returncode == 0, str(trained)
    from genlab.data import load_dataset

    digit = load_dataset("digits").test.x[0, 0].astype(np.float64)
    Image.fromarray(np.round(digit * 255 / 16).astype(np.uint8)).save(folder / "digit.png")
    hole = np.zeros((8, 8), np.uint8)
    hole[2:6, 1:5] = 255
    Image.fromarray(hole).save(folder / "hole.png")
    return folder


def test_inpaint_keeps_every_unmasked_pixel(pixelcnn_run, genlab_at):
    done = genlab_at(["inpaint", "run", "digit.png", "--mask", "hole.png", "-n", "3", "-o", "out/filled.png"],
                     pixelcnn_run)
    assert done.returncode == 0 and "3 completions" in done.stdout, str(done)
    digit = np.asarray(Image.open(pixelcnn_run / "digit.png"))
    hole = np.asarray(Image.open(pixelcnn_run / "hole.png")) > 0
    completions = [np.asarray(Image.open(pixelcnn_run / "out" / name)) for name in
                   ("filled.png", "filled-2.png", "filled-3.png")]
    for completion in completions:
        assert completion.shape == (8, 8) and np.array_equal(completion[~hole], digit[~hole])
    assert any(not np.array_equal(c[hole], completions[0][hole]) for c in completions[1:])  # different draws
    assert Image.open(pixelcnn_run / "out" / "filled-overview.png").size[0] > 4 * 8  # image + 3, enlarged
    below = genlab_at(["inpaint", "run", "digit.png", "--below", "5", "-n", "1", "-o", "below.png"], pixelcnn_run)
    assert below.returncode == 0, str(below)
    assert np.array_equal(np.asarray(Image.open(pixelcnn_run / "below.png"))[:5], digit[:5])
    again = genlab_at(["inpaint", "run", "digit.png", "--below", "5", "-n", "1", "-o", "again.png"], pixelcnn_run)
    assert again.returncode == 0
    assert (pixelcnn_run / "again.png").read_bytes() == (pixelcnn_run / "below.png").read_bytes()  # seeded


def test_inpaint_refuses_bad_requests_and_writes_nothing(pixelcnn_run, digits_run, genlab_at, user_error):
    big = np.zeros((9, 8), np.uint8)
    Image.fromarray(big).save(pixelcnn_run / "big-mask.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(pixelcnn_run / "empty-mask.png")
    cases = [
        (["run", "digit.png", "-o", "never.png"], ("--mask", "--below")),
        (["run", "digit.png", "--mask", "hole.png", "--below", "3", "-o", "never.png"], ("one of them",)),
        (["run", "digit.png", "--mask", "big-mask.png", "-o", "never.png"], ("9x8", "image's size")),
        (["run", "digit.png", "--mask", "empty-mask.png", "-o", "never.png"], ("no pixel",)),
        (["run", "digit.png", "--below", "3", "--steps", "4", "-o", "never.png"], ("--steps", "pixelcnn")),
        (["run", "digit.png", "--below", "3", "-o", "never.jpg"], ("png",)),
        (["run", "digit.png", "--below", "3", "-n", "0", "-o", "never.png"], ("-n 0",)),
        (["run", "nothing.png", "--below", "3", "-o", "never.png"], ("nothing.png",)),
        (["run", "hole.png", "--below", "8", "-o", "never.png"], ("--below 8",)),
        ([str(digits_run), "digit.png", "--below", "3", "-o", "never.png"], ("does not inpaint",)),
    ]
    for args, needles in cases:
        user_error(genlab_at(["inpaint", *args], pixelcnn_run), *needles)
    assert not list(pixelcnn_run.glob("never*"))


def test_evaluate_scores_completed_lower_halves_beside_the_originals(pixelcnn_run, genlab_at):
    done = genlab_at(["evaluate", "run", "--inpaint", "8", "--samples", "0", "--iwae", "1"], pixelcnn_run)
    assert done.returncode == 0 and "lower half filled" in done.stdout, str(done)
    import json

    result = json.loads((pixelcnn_run / "run" / "evaluation.json").read_text())["results"]["inpainting"]
    assert result["images"] == 8 and set(result["quality"]) == set(result["bits_per_dim"]) == {"real", "model"}
    assert result["bound"] == "exact" and result["quality"]["model"]["fd"] > 0
    assert (pixelcnn_run / "run" / "report" / "inpaint.png").exists()


def test_inpaint_keeps_the_users_own_pixels_of_any_mode_and_reads_any_mask(pixelcnn_run, genlab_at, awkward_images,
                                                                           tmp_path):
    """The 17-level run saw a requantised copy and wrote it back (unmasked pixels changed); a 1-bit mask was refused
    as "bool pixels"; a grey mask was thresholded without a word."""
    from genlab.data.image_io import decode

    folder = awkward_images["la.png"].path.parent
    hole = np.zeros((8, 8), bool)
    hole[2:6, 1:5] = True
    Image.fromarray(np.where(hole, 200, 40).astype(np.uint8)).save(folder / "grey-mask.png")
    Image.fromarray(hole).save(folder / "1bit-mask.png")
    for image, mask in (("la.png", "grey-mask.png"), ("grey16.png", "1bit-mask.png"),
                        ("grey-palette.gif", "1bit-mask.png")):
        out = tmp_path / f"{image}-filled.png"
        done = genlab_at(["inpaint", "run", folder / image, "--mask", folder / mask, "-n", "1", "-o", out],
                         pixelcnn_run)
        assert done.returncode == 0 and "quantised" in done.stdout, str(done)
        assert ("not only black and white" in done.stdout) == (mask == "grey-mask.png"), str(done)
        original, filled = awkward_images[image], decode(out)
        assert filled.colour.dtype == original.colour.dtype, image  # 16-bit stays 16-bit
        assert np.array_equal(filled.colour[:, ~hole], original.colour[:, ~hole]), image  # the user's own values
        assert (filled.alpha is None) == (original.alpha is None), image
        if filled.alpha is not None:  # the user's transparency kept; the filled hole opaque, never hidden
            assert np.array_equal(filled.alpha[:, ~hole], original.alpha[:, ~hole]), image
            assert (filled.alpha[:, hole] == np.iinfo(filled.alpha.dtype).max).all(), image
