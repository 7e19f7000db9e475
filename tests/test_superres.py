"""Super-resolution: the network's geometry, the degradation, the metrics against hand figures and
scikit-image, tiled inference against whole-image inference, srresnet and srgan through the trainer (srgan
started from srresnet, resumed exactly), and `genlab upscale` on every kind of image and on bad input."""

from __future__ import annotations

import json
import math

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from genlab.apps.superres import upscale_array
from genlab.data.degrade import downscale
from genlab.data.photos import held_out_photo
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.metrics.superres import luma, psnr_y, ssim, ssim_y
from genlab.models.batched import upscaled
from genlab.models.registry import build_model
from genlab.models.superres import SRResNetGenerator, degrade

TINY = ["--set", "model.channels=8", "--set", "model.blocks=1", "--set", "model.crop=32", "--quiet"]
SPEC = DatasetSpec("rgb", (3, 32, 32), 256)


@pytest.mark.parametrize("scale", [2, 4])
def test_pixel_shuffle_stages_multiply_odd_sizes_by_the_scale(scale):
    net = SRResNetGenerator(3, 8, 1, scale)
    assert len(net.upsample) == int(math.log2(scale))
    assert net(torch.zeros(2, 3, 7, 9)).shape == (2, 3, 7 * scale, 9 * scale)


def test_training_degradation_matches_pils_bicubic():
    """torch's antialiased bicubic (training, on the fly) against PIL's (evaluation): above 50 dB on a photo."""
    photo = held_out_photo("astronaut")[:, :256, :256]
    ours = degrade(torch.from_numpy(photo[None]).float() / 127.5 - 1, 4, 256)  # (1, 3, 64, 64) on [-1, 1]
    ours = ((ours[0] + 1) * 127.5).round().numpy()
    pil = np.asarray(Image.fromarray(photo.transpose(1, 2, 0)).resize((64, 64), Image.Resampling.BICUBIC))
    mse = np.mean((ours - pil.transpose(2, 0, 1)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 50
    assert np.array_equal(downscale(photo, 4), pil.transpose(2, 0, 1))  # evaluation's degradation is PIL's


def test_y_psnr_of_a_known_pair_by_hand():
    black = np.zeros((3, 20, 20), np.uint8)
    red = black.copy()
    red[0] = 255  # Y rises by 65.481 everywhere
    assert luma(black)[0, 0] == pytest.approx(16.0)
    assert psnr_y(black, red) == pytest.approx(20 * math.log10(255 / 65.481))
    red[0, :4] = 0  # inside the 4-pixel border: not counted
    assert psnr_y(black, red) == pytest.approx(20 * math.log10(255 / 65.481))
    assert psnr_y(black, red, border=0) == pytest.approx(10 * math.log10(255**2 / (65.481**2 * 16 / 20)))


def test_ssim_matches_scikit_image():
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(0)
    a = held_out_photo("coffee")[:, :64, :80]
    b = np.clip(a + rng.normal(0, 12, a.shape), 0, 255).astype(np.uint8)
    ya, yb = luma(a), luma(b)
    expected = structural_similarity(ya, yb, data_range=255, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert ssim(ya, yb) == pytest.approx(expected, abs=1e-9)
    assert ssim_y(a, a) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def random_model():
    """An untrained srresnet whose residual branch is not zero (its tail starts at zero: bicubic exactly)."""
    torch.manual_seed(0)
    model = build_model("srresnet", SPEC, {"channels": 8, "blocks": 1, "crop": 32})
    torch.nn.init.normal_(model.generator.tail.weight, std=0.05)
    return model.eval()


def test_tiles_equal_whole_image_inference_away_from_seams(random_model):
    low = held_out_photo("chelsea")[:, 100:150, 200:270]  # (3, 50, 70)
    whole = upscale_array(random_model, low, tile=200)  # one tile
    direct = upscaled(random_model, low[None])[0]  # float32 rounding there, float64 blending here: 1 level at most
    assert np.abs(whole.astype(int) - direct).max() <= 1 and np.mean(whole == direct) > 0.999
    tiled = upscale_array(random_model, low, tile=40, overlap=16)  # 2 x 2 tiles, seams around 24..40
    difference = np.abs(whole.astype(int) - tiled.astype(int))  # (3, 200, 280)
    assert difference[:, :40, :40].max() <= 1  # one tile's interior, far from any seam (rounding only)
    assert difference.max() <= 6 and difference.mean() < 0.2  # the blended seams


@pytest.fixture(scope="module")
def sr_run(tmp_path_factory, genlab_at):
    root = tmp_path_factory.mktemp("superres")
    trained = genlab_at(["train", "--data", "photos", "--model", "srresnet", "--out", "sr", "--steps", 6,
                         "--batch-size", 4, "--set", "training.eval_every=6", *TINY], root)
    assert trained.returncode == 0, str(trained)
    assert "Y-PSNR" in trained.stdout
    assert list((root / "sr" / "samples").glob("*.png"))  # bicubic | model | original of validation images
    return root / "sr"


def test_srgan_starts_from_srresnet_and_resumes_exactly(sr_run, tmp_path, weights, same_tensors):
    from genlab.config import load_config
    from genlab.models.loading import load_run
    from genlab.training.run import train

    config = load_config(None, {"data": {"source": "photos"},
                                "model": {"name": "srgan", "channels": 8, "blocks": 1, "crop": 32, "d_channels": 4,
                                          "generator": str(sr_run)},
                                "training": {"steps": 4, "batch_size": 4, "eval_every": 4}})
    gan = build_model("srgan", load_run(sr_run).spec, config.model.options)
    gan.initialise()
    for name, value in load_run(sr_run).model.generator.state_dict().items():
        assert torch.equal(gan.generator.state_dict()[name], value), name
    train(config, tmp_path / "straight", quiet=True)
    train(config, tmp_path / "paused", quiet=True, stop_at_step=2)
    train(None, tmp_path / "paused", resume=True, quiet=True)
    same_tensors(weights(tmp_path / "straight"), weights(tmp_path / "paused"))


def test_srgan_refuses_a_generator_that_is_no_srresnet(digits_run, tmp_path):
    model = build_model("srgan", SPEC, {"channels": 8, "blocks": 1, "crop": 32, "generator": str(digits_run)})
    with pytest.raises(UserError, match="srgan needs an srresnet"):
        model.initialise()


def test_evaluate_scores_the_model_beside_bicubic(sr_run, genlab_at):
    result = genlab_at(["evaluate", str(sr_run)], sr_run.parent)
    assert result.returncode == 0, str(result)
    scores = json.loads((sr_run / "evaluation.json").read_text())["results"]["superres"]["scores"]
    assert set(scores) == {"bicubic", "lanczos", "srresnet"}
    assert scores["bicubic"]["detail_restored"] == pytest.approx(0.0)
    assert 20 < scores["srresnet"]["psnr_y"] < 45


def test_upscale_every_kind_of_image(sr_run, genlab, tmp_path):
    photo = held_out_photo("rocket")[:, :24, :20]  # (3, 24, 20)
    images = tmp_path / "in"
    images.mkdir()
    iio.imwrite(images / "rgb.png", photo.transpose(1, 2, 0))
    iio.imwrite(images / "grey.png", photo[0])
    iio.imwrite(images / "rgba.png", np.concatenate([photo, photo[:1]]).transpose(1, 2, 0))
    iio.imwrite(images / "grey16.png", photo[0].astype(np.uint16) * 257)
    iio.imwrite(images / "rgb16.tif", photo.transpose(1, 2, 0).astype(np.uint16) * 257)
    result = genlab("upscale", sr_run, images, "-o", "out", "--compare")
    assert result.returncode == 0, str(result)
    assert "alpha" in result.stdout
    expected = {"rgb-x4.png": ((96, 80, 3), np.uint8), "grey-x4.png": ((96, 80), np.uint8),
                "rgba-x4.png": ((96, 80, 4), np.uint8), "grey16-x4.png": ((96, 80), np.uint16),
                "rgb16-x4.tif": ((96, 80, 3), np.uint16)}
    for name, (shape, dtype) in expected.items():
        out = iio.imread(tmp_path / "out" / name)
        assert out.shape == shape and out.dtype == dtype, name
        assert (tmp_path / "out" / name.replace("-x4", "-x4-bicubic")).exists()
    single = genlab("upscale", sr_run, images / "rgb.png", "-o", "one.png")
    assert single.returncode == 0 and iio.imread(tmp_path / "one.png").shape == (96, 80, 3)


def test_upscale_bad_input_is_one_line_and_writes_nothing(sr_run, digits_run, genlab, user_error, tmp_path):
    from genlab.apps.superres import upscale
    from genlab.models.loading import load_run

    (tmp_path / "notes.png").write_text("not an image")
    iio.imwrite(tmp_path / "tiny.png", np.zeros((5, 30, 3), np.uint8))
    iio.imwrite(tmp_path / "ok.png", np.zeros((16, 16, 3), np.uint8))
    user_error(genlab("upscale", sr_run, "notes.png", "-o", "a.png"), "not a readable image")  # the CLI: exit 2
    run, vae = load_run(sr_run), load_run(digits_run)
    for model, source, out, message in [
        (run, "tiny.png", "b.png", "at least 8"), (run, "missing.png", "c.png", "does not exist"),
        (vae, "ok.png", "d.png", "does not upscale"), (run, "ok.png", "e.txt", "change the suffix"),
        (run, ".", "f", "not a readable image"),  # a folder holding one bad file among good ones
    ]:
        with pytest.raises(UserError, match=message):
            upscale(model, tmp_path / source, tmp_path / out)
    assert not any((tmp_path / name).exists() for name in ("a.png", "b.png", "c.png", "d.png", "e.txt", "f"))


def test_upscale_awkward_images_keeps_their_colours_and_depth_and_notes_what_a_format_drops(sr_run, genlab,
                                                                                            awkward_images, tmp_path):
    """CMYK came out inverted and transparent, 16-bit RGB PNG came out 8-bit, RGBA to JPEG was a traceback."""
    from genlab.data.degrade import upscale_classically
    from genlab.data.image_io import decode

    folder = awkward_images["cmyk.jpg"].path.parent
    done = genlab("upscale", sr_run, folder, "-o", "out")
    assert done.returncode == 0 and "CMYK" in done.stdout and "first of its 2 frames" in done.stdout, str(done)
    cmyk = decode(tmp_path / "out" / "cmyk-x4.png")
    bicubic = upscale_classically(awkward_images["cmyk.jpg"].colour, 4).astype(int)
    assert cmyk.alpha is None and np.abs(cmyk.colour - bicubic).mean() < 16  # not inverted (~128 off)
    for name, channels, alpha in (("rgb16-x4.tif", 3, False), ("rgba16-x4.tif", 3, True), ("grey16-x4.png", 1, False),
                                  ("la-x4.png", 1, True), ("1bit-x4.png", 1, False), ("palette-x4.png", 3, False)):
        out = decode(tmp_path / "out" / name)
        assert out.colour.shape == (channels, 32, 32) and (out.alpha is not None) == alpha, name
        assert out.colour.dtype == (np.uint16 if "16" in name else np.uint8), name
    for source, target, note in (("rgba.png", "rgba.jpg", "JPEG keeps no transparency"),
                                 ("rgb16.png", "rgb16.webp", "WebP keeps 8 bits"), ("rgb16.png", "rgb16.png", None)):
        single = genlab("upscale", sr_run, folder / source, "-o", target)
        assert single.returncode == 0 and (note is None or note in single.stdout), str(single)
    assert decode(tmp_path / "rgb16.png").colour.dtype == np.uint16  # a 16-bit colour PNG out, as asked
