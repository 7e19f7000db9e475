"""The learned lossy codec (genlab.models.codec) and lossy coding with it (.glc files): the decoder rebuilds
exactly what the encoder reconstructs at any image size, the entropy models are normalised, training lowers
the rate-distortion loss, families of codecs are picked by --rate; the photos dataset it trains on; and the
pixelcnn's per-level conditionals that lossless coding walks."""

from __future__ import annotations

import dataclasses
import itertools
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.apps import compression
from genlab.coding import container, lossy
from genlab.data import BUILTINS
from genlab.data.photos import EVALUATION_PHOTOS, evaluation_photo, training_crops
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.codec import LIKELIHOOD_MIN, STRIDE, FactorizedDensity, annealed, gaussian_likelihood, noisy
from genlab.models.registry import build_model

PHOTOS = BUILTINS["photos"].spec
TINY_CODEC = {"name": "codec", "channels": 8, "latent_channels": 8}


def train(out: Path, model: dict, *, steps: int, data: str = "photos", seed: int = 0, **training) -> Path:
    from genlab import api
    from genlab.config import load_config

    config = load_config(None, {"data": {"source": data}, "model": model, "": {"seed": seed},
                                "training": {"steps": steps, "batch_size": 2, "eval_every": steps, "warmup_steps": 0}
                                | training})
    api.train(config, out, quiet=True)
    return out


def scaled_codec(y_gain: float = 100.0, z_gain: float = 30.0) -> torch.nn.Module:
    """An untrained tiny codec whose latents are scaled up, so that y and z take many integer values (an
    untrained codec rounds nearly everything to 0 and codes nothing worth checking)."""
    torch.manual_seed(0)
    model = build_model("codec", PHOTOS, {k: v for k, v in TINY_CODEC.items() if k != "name"}).eval()
    with torch.no_grad():
        model.g_a[-1].weight.mul_(y_gain)
        model.h_a[-1].weight.mul_(z_gain)
    return model


def photo(h: int, w: int, name: str = "astronaut") -> np.ndarray:
    """(3, h, w) uint8: a crop of one of the evaluation photos."""
    return np.ascontiguousarray(evaluation_photo(name)[:, 100 : 100 + h, 150 : 150 + w])


def unit(image: np.ndarray) -> torch.Tensor:
    """(C, H, W) uint8 -> (1, C, H, W) in [0, 1]."""
    return torch.from_numpy(image).float()[None] / 255


@torch.no_grad()
def encoder_side(model, image: np.ndarray, latents: tuple[torch.Tensor, torch.Tensor] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the encoder quantises and reconstructs, computed here independently of lossy.py: edge padding to
    multiples of 64, z rounded into -32..32, y - mean rounded into -255..255, the synthesis cropped back.
    latents: (y, z) to code instead of the analysis transform's.
    Returns (reconstruction (3, h, w) uint8, z symbols, y symbols)."""
    _, h, w = image.shape
    padded = np.pad(image, ((0, 0), (0, -h % STRIDE), (0, -w % STRIDE)), mode="edge")
    y, z = latents or model.analyse(unit(padded))
    zs = torch.round(z).clamp(-32, 32)
    mean, _ = model.gaussian_params(zs)
    ys = torch.round(y - mean).clamp(-255, 255)
    x_hat = model.synthesise(ys + mean)[0, :, :h, :w]
    levels = (x_hat.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return levels, zs.numpy().astype(np.int32).ravel(), ys.numpy().astype(np.int32).ravel()


# ---------------------------------------------------------------- lossy coding


@pytest.mark.parametrize("h, w, y_gain, z_gain", [(64, 64, 100, 30), (37, 53, 100, 30), (70, 130, 100, 30),
                                                   (1, 1, 100, 30), (70, 130, 1e5, 0.3)],
                         ids=["64x64", "37x53", "70x130", "1x1", "70x130-clamped"])
def test_decoder_rebuilds_what_the_encoder_reconstructs(h, w, y_gain, z_gain):
    model = scaled_codec(y_gain, z_gain)
    image = photo(h, w)
    words, crc = lossy.compress(model, image)
    decoded, decoded_crc = lossy.decompress(model, words, image.shape)
    reconstruction, zs, ys = encoder_side(model, image)
    assert len(np.unique(zs)) > 2 and len(np.unique(ys)) > 5  # the check is not about all-zero latents
    assert crc == decoded_crc == zlib.crc32(zs.tobytes() + ys.tobytes())
    assert words.dtype == np.uint32
    assert decoded.dtype == np.uint8 and decoded.shape == (3, h, w)
    np.testing.assert_array_equal(decoded, reconstruction)
    if y_gain > 1e3:  # the latents overflow the coded ranges and are clamped on both sides alike
        assert np.abs(ys).max() == 255 and np.abs(zs).max() == 32


def test_symbol_checksum_catches_a_decoder_with_other_weights():
    model, other = scaled_codec(), scaled_codec()
    with torch.no_grad():
        other.h_s[-1].bias.add_(0.5)  # other Gaussians for y: the same words decode to other symbols
    image = photo(64, 64)
    words, crc = lossy.compress(model, image)
    assert lossy.decompress(other, words, image.shape)[1] != crc


@pytest.fixture(scope="module")
def codec_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("codec") / "run", TINY_CODEC, steps=3)


def _save_png(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]).save(path)
    return path


@pytest.mark.parametrize("h, w", [(37, 53), (70, 130)])
def test_lossy_file_round_trip_at_odd_sizes(codec_run, tmp_path, h, w):
    from genlab import api
    from genlab.metrics.image_quality import psnr

    image = photo(h, w, "coffee")
    source = _save_png(tmp_path / "in.png", image)
    report = compression.compress(codec_run, source, tmp_path / "x.glc")
    assert report.file_bytes == (tmp_path / "x.glc").stat().st_size and report.dims == 3 * h * w
    box = container.unpack((tmp_path / "x.glc").read_bytes(), "x")
    assert box.kind == "lossy" and box.shape == (3, h, w) and box.count == 1 and box.names == ()  # a lossy file keeps no name
    back = compression.decompress(codec_run, tmp_path / "x.glc", tmp_path / "out.png")
    assert back.run == codec_run
    decoded = np.asarray(Image.open(tmp_path / "out.png")).transpose(2, 0, 1)
    np.testing.assert_array_equal(decoded, encoder_side(api.load_run(codec_run).model, image)[0])
    assert report.psnr == pytest.approx(psnr(image, decoded), rel=1e-6)


def test_grey_png_is_coded_as_rgb(codec_run, tmp_path):
    grey = photo(40, 50, "coffee")[0]  # one channel of a photo
    _save_png(tmp_path / "grey" / "p.png", grey[None])
    _save_png(tmp_path / "rgb" / "p.png", np.repeat(grey[None], 3, axis=0))
    compression.compress(codec_run, tmp_path / "grey" / "p.png", tmp_path / "grey.glc")
    compression.compress(codec_run, tmp_path / "rgb" / "p.png", tmp_path / "rgb.glc")
    box = container.unpack((tmp_path / "grey.glc").read_bytes(), "grey")
    assert box.shape == (3, 40, 50)
    assert (tmp_path / "grey.glc").read_bytes() == (tmp_path / "rgb.glc").read_bytes()
    compression.decompress(codec_run, tmp_path / "grey.glc", tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == "RGB" and out.size == (50, 40)


def test_lossy_checks_its_input(codec_run, tmp_path):
    folder = tmp_path / "two"
    _save_png(folder / "a.png", photo(8, 8))
    _save_png(folder / "b.png", photo(8, 8))
    with pytest.raises(UserError, match="one image per file") as err:
        compression.compress(codec_run, folder, tmp_path / "x.glc")
    assert str(folder) in str(err.value)
    np.save(tmp_path / "deep.npy", np.full((1, 3, 8, 8), 300, np.uint16))
    with pytest.raises(UserError, match=r"deep\.npy has values 300\.\.300.*0\.\.255"):
        compression.compress(codec_run, tmp_path / "deep.npy", tmp_path / "x.glc")
    with pytest.raises(UserError, match="positive"):
        compression.compress(codec_run, _save_png(tmp_path / "p.png", photo(8, 8)), tmp_path / "x.glc", rate=0)
    assert not (tmp_path / "x.glc").exists()


def test_grey_npy_is_coded_as_rgb_or_refused(codec_run, tmp_path):
    np.save(tmp_path / "grey.npy", np.zeros((1, 1, 16, 16), np.uint8))
    try:
        compression.compress(codec_run, tmp_path / "grey.npy", tmp_path / "x.glc")
    except UserError as err:
        assert "grey.npy" in str(err)
        return
    assert container.unpack((tmp_path / "x.glc").read_bytes(), "x").shape == (3, 16, 16)


def test_lossy_file_damage_and_foreign_models_are_refused(genlab, user_error, codec_run, tmp_path):
    other = train(tmp_path / "other", TINY_CODEC, steps=2, seed=1)
    compression.compress(codec_run, _save_png(tmp_path / "p.png", photo(20, 20)), tmp_path / "x.glc")
    data = (tmp_path / "x.glc").read_bytes()
    assert data[:3] == b"GLC"
    with pytest.raises(UserError, match="another model"):
        compression.decompress(other, tmp_path / "x.glc", tmp_path / "out.png")
    box = container.unpack(data, "x")
    (tmp_path / "y.glc").write_bytes(container.pack(dataclasses.replace(box, data_crc=box.data_crc ^ 1)))
    with pytest.raises(UserError, match="data checksum mismatch"):
        compression.decompress(codec_run, tmp_path / "y.glc", tmp_path / "out.png")
    (tmp_path / "z.glc").write_bytes(data[:-1])
    user_error(genlab("decompress", codec_run, "z.glc", "-o", "out.png"), "z.glc", "damaged")
    assert not (tmp_path / "out.png").exists()


# ---------------------------------------------------------------- encoder-side refinement


def _rounded_cost(model, image: np.ndarray, y: torch.Tensor, z: torch.Tensor) -> float:
    with torch.no_grad():
        return float(model.rate_distortion(unit(image), y, z)["cost"])


def test_refined_latents_cost_less_and_decode_exactly():
    model = scaled_codec()
    image = photo(70, 130)
    x = unit(image)
    with torch.no_grad():
        initial = model.refine(x, 0)
        assert _rounded_cost(model, image, *model.refine(x, 30, lr=0.5)) < 0.95 * _rounded_cost(model, image, *initial)
        y, z = model.refine(x, 30)  # the step size compress uses
    assert _rounded_cost(model, image, y, z) < _rounded_cost(model, image, *initial)
    words, crc = lossy.compress(model, image, refine=30)
    assert not np.array_equal(words, lossy.compress(model, image)[0])
    decoded, decoded_crc = lossy.decompress(model, words, image.shape)
    assert crc == decoded_crc
    np.testing.assert_array_equal(decoded, encoder_side(model, image, (y, z))[0])
    again, _ = lossy.compress(model, image, refine=30)
    np.testing.assert_array_equal(words, again)  # seeded: the same image gives the same file


def test_annealed_rounding_hardens_into_rounding():
    v = torch.linspace(-3.9, 3.9, 1001, requires_grad=True)
    generator = torch.Generator().manual_seed(0)
    warm, _ = annealed(0.5, generator)(v, 255)
    assert torch.all((warm >= torch.floor(v)) & (warm <= torch.ceil(v)))  # a blend of the two neighbours
    assert not torch.equal(warm, torch.round(v))
    (grad,) = torch.autograd.grad(warm.sum(), v)
    assert grad.abs().sum() > 0  # differentiable, unlike rounding
    clear = v.detach()[(v.detach() - torch.round(v.detach())).abs() < 0.4]  # not too near a half
    cold, _ = annealed(1e-3, generator)(clear, 255)
    torch.testing.assert_close(cold, torch.round(clear), atol=1e-4, rtol=0)


def test_refinement_falls_back_when_it_only_adds_cost():
    model = scaled_codec()
    x = unit(photo(64, 64))
    with torch.no_grad():
        initial = model.refine(x, 0)
        hopeless = model.refine(x, 3, lr=1e3)  # steps far too large: refining only adds cost
    assert all(torch.equal(a, b) for a, b in zip(hopeless, initial))


@pytest.fixture(scope="module")
def scaled_run(codec_run, tmp_path_factory) -> Path:
    """The tiny codec run with scaled_codec's weights: latents large enough for refinement to change the file."""
    import shutil

    from genlab.runs import RunFolder
    from genlab.runs.weights import save_model

    run = tmp_path_factory.mktemp("scaled") / "run"
    shutil.copytree(codec_run, run)
    save_model(RunFolder(run), scaled_codec(), None, {"step": 3})
    return run


def test_refine_through_the_api_and_cli(genlab, user_error, scaled_run, tmp_path):
    source = _save_png(tmp_path / "p.png", photo(40, 60, "coffee"))
    plain = compression.compress(scaled_run, source, tmp_path / "plain.glc")
    calls = []
    report = compression.compress(scaled_run, source, tmp_path / "x.glc", refine=4,
                                  progress=lambda total: calls.append(total) or (lambda n: calls.append(n)))
    assert calls == [5, 1, 1, 1, 1, 1]  # four refinement steps, then the coding
    assert report.file_bytes == (tmp_path / "x.glc").stat().st_size
    assert (tmp_path / "x.glc").read_bytes() != (tmp_path / "plain.glc").read_bytes()
    made = genlab("compress", scaled_run, source, "-o", "y.glc", "--refine", "4")
    assert made.returncode == 0, str(made)
    assert (tmp_path / "y.glc").read_bytes() == (tmp_path / "x.glc").read_bytes()
    assert genlab("decompress", scaled_run, "y.glc", "-o", "y.png").returncode == 0
    user_error(genlab("compress", scaled_run, source, "-o", "z.glc", "--refine", "-1"), "--refine -1")
    assert not (tmp_path / "z.glc").exists()


# ---------------------------------------------------------------- training


def test_augment_flips_and_permutes_channels():
    from genlab.models.codec import augment

    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    seen = set()
    for seed in range(40):
        torch.manual_seed(seed)
        out = augment(x)
        matches = [(c, flips) for c in itertools.permutations(range(3)) for flips in ((), (3,), (2,), (2, 3))
                   if torch.equal(out, x[:, list(c)].flip(flips) if flips else x[:, list(c)])]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len({c for c, _ in seen}) == 6 and len({f for _, f in seen}) == 4


def test_rates_stay_fp32_under_bf16_autocast():
    model = scaled_codec()
    x = unit(photo(64, 64))
    with torch.no_grad():
        y, z = model.analyse(x)
        plain = model.rate_distortion(x, y, z)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = model.rate_distortion(x, y, z)
            y16, z16 = model.analyse(x)  # what bf16 training hands it
            assert y16.dtype == torch.bfloat16
            from_bf16 = model.rate_distortion(x, y16, z16, noisy())
    assert mixed["bpp"].dtype == mixed["mse"].dtype == from_bf16["bpp"].dtype == torch.float32
    assert mixed["bpp"].item() == plain["bpp"].item()  # the entropy models never ran in bf16
    assert mixed["mse"].item() == pytest.approx(plain["mse"].item(), rel=0.05)  # the synthesis did


def test_codec_trains_in_bf16(tmp_path, metrics):
    run = train(tmp_path / "run", TINY_CODEC, steps=3, precision="bf16")
    logged = [m for m in metrics(run) if m.get("split") == "train"]
    assert logged and all(np.isfinite(m["loss"]) and m["bpd"] > 0 for m in logged)


# ---------------------------------------------------------------- entropy models


def test_factorized_density_pmf_sums_to_one(codec_run):
    from genlab import api

    torch.manual_seed(0)
    fresh, perturbed = FactorizedDensity(8), FactorizedDensity(8)
    with torch.no_grad():
        for p in perturbed.parameters():
            p.add_(0.5 * torch.randn_like(p))
    trained = api.load_run(codec_run).model.z_density
    for density in (fresh, perturbed, trained):
        with torch.no_grad():
            pmf = density.pmf(200).double()
        assert pmf.shape == (8, 401)
        assert (pmf >= LIKELIHOOD_MIN * 0.999).all()
        np.testing.assert_allclose(pmf.sum(1).numpy(), 1.0, atol=1e-3)
        # The pmf is the likelihood of the integers, channel by channel.
        values = torch.arange(-3.0, 4.0).view(1, 1, 1, -1).expand(1, 8, 1, -1)
        with torch.no_grad():
            np.testing.assert_allclose(density.likelihood(values)[0, :, 0].numpy(), density.pmf(3).numpy(), rtol=1e-6)


@pytest.mark.parametrize("mean, scale", list(itertools.product([-3.7, 0.0, 0.3, 12.5], [0.11, 0.5, 3.0, 40.0])))
def test_gaussian_likelihood_sums_to_one_over_integers(mean, scale):
    y = torch.arange(-400, 401, dtype=torch.float64)
    p = gaussian_likelihood(y - mean, torch.full_like(y, scale))
    assert p.sum().item() == pytest.approx(1.0, abs=1e-5)
    normal = torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64), torch.tensor(scale, dtype=torch.float64))
    exact = (normal.cdf(y + 0.5) - normal.cdf(y - 0.5)).clamp(min=LIKELIHOOD_MIN)
    torch.testing.assert_close(p, exact, atol=1e-9, rtol=1e-6)


def test_training_lowers_the_rate_distortion_loss(tmp_path):
    from genlab import api
    from genlab.training.trainer import seed_everything

    run = train(tmp_path / "run", TINY_CODEC, steps=30, batch_size=4)
    seed_everything(0)  # the trainer's start: the same seed, the same freshly built model
    fresh = build_model("codec", PHOTOS, {k: v for k, v in TINY_CODEC.items() if k != "name"}).eval()
    trained = api.load_run(run)
    x = torch.from_numpy(np.array(trained.dataset().val.x[:8]))
    with torch.no_grad():
        before, after = fresh.loss({"x": x}), trained.model.loss({"x": x})
    assert after["loss"] < 0.7 * before["loss"], (before, after)
    assert after["psnr"] > before["psnr"]


# ---------------------------------------------------------------- families and --rate


@pytest.fixture(scope="module")
def family(tmp_path_factory) -> dict:
    """Two tiny codecs trained at very different lambdas in one folder, and what each alone makes of an image."""
    root = tmp_path_factory.mktemp("family")
    for name, rd_lambda in (("a-low", 1e-4), ("b-high", 1.0)):
        train(root / "family" / name, TINY_CODEC | {"rd_lambda": rd_lambda}, steps=10, lr=0.01)
    source = _save_png(root / "photo.png", photo(64, 96, "coffee"))
    alone = {}
    for run in sorted((root / "family").iterdir()):
        report = compression.compress(run, source, root / f"{run.name}.glc")
        alone[run.name] = (report.bits_per_dim, (root / f"{run.name}.glc").read_bytes())
    assert len({bpd for bpd, _ in alone.values()}) == 2, alone  # the test needs two different sizes
    return {"folder": root / "family", "source": source, "alone": alone}


@pytest.mark.parametrize("pick", ["huge", "exact", "below", "tiny"])
def test_rate_picks_the_best_run_that_fits(family, tmp_path, pick):
    small, large = sorted(family["alone"], key=lambda name: family["alone"][name][0])
    rates = {"huge": (100.0, large), "exact": (family["alone"][large][0], large),
             "below": (family["alone"][large][0] * 0.999, small), "tiny": (1e-6, small)}
    rate, expected = rates[pick]
    report = compression.compress(family["folder"], family["source"], tmp_path / "x.glc", rate=rate)
    assert report.run.name == expected
    assert (tmp_path / "x.glc").read_bytes() == family["alone"][expected][1]
    assert report.bits_per_dim == family["alone"][expected][0]
    back = compression.decompress(family["folder"], tmp_path / "x.glc", tmp_path / "out.png")
    assert back.run.name == expected  # found by its fingerprint
    compression.decompress(family["folder"] / expected, tmp_path / "x.glc", tmp_path / "alone.png")
    assert (tmp_path / "out.png").read_bytes() == (tmp_path / "alone.png").read_bytes()


def test_family_without_rate_is_refused(family, tmp_path):
    with pytest.raises(UserError, match="--rate"):
        compression.compress(family["folder"], family["source"], tmp_path / "x.glc")
    assert not (tmp_path / "x.glc").exists()


def test_family_holding_a_pixelcnn_is_refused(family, tmp_path):
    import shutil

    shutil.copytree(family["folder"], tmp_path / "mixed")
    train(tmp_path / "mixed" / "z-pixelcnn", {"name": "pixelcnn", "channels": 8, "layers": 2}, steps=2, data="digits")
    with pytest.raises(UserError, match="z-pixelcnn holds a pixelcnn, not a codec"):
        compression.compress(tmp_path / "mixed", family["source"], tmp_path / "x.glc", rate=1.0)
    assert not (tmp_path / "x.glc").exists()


def test_cli_family(genlab, user_error, family, tmp_path):
    large = max(family["alone"], key=lambda name: family["alone"][name][0])
    made = genlab("compress", family["folder"], family["source"], "-o", "x.glc", "--rate", "100")
    assert made.returncode == 0, str(made)
    assert f"with {large}" in made.stdout and "PSNR" in made.stdout and "dB" in made.stdout
    back = genlab("decompress", family["folder"], "x.glc", "-o", "x.png")
    assert back.returncode == 0, str(back)
    with Image.open(tmp_path / "x.png") as image:
        assert image.size == (96, 64) and image.mode == "RGB"
    user_error(genlab("compress", family["folder"], family["source"], "-o", "y.glc"), "--rate")
    assert not (tmp_path / "y.glc").exists()


# ---------------------------------------------------------------- the photos dataset


def test_photos_size_and_splits_match_the_crops():
    crops = training_crops()
    builtin = BUILTINS["photos"]
    assert crops.dtype == np.uint8 and crops.shape == (builtin.size, *PHOTOS.shape) and PHOTOS.levels == 256
    assert not crops.flags.writeable
    data = builtin.load()
    assert (len(data.train), len(data.val), len(data.test)) == (builtin.size - 80, 40, 40)


def test_no_evaluation_photo_is_trained_on():
    import skimage.data

    from genlab.data import photos

    files = photos._training_files()
    assert all(path.is_file() for path in files)
    stems = {path.stem for path in files}
    # scikit-image's file names of the six (and of `cat`, the same photo as chelsea)
    assert not stems & {"astronaut", "coffee", "chelsea", "rocket", "ihc", "hubble_deep_field", "cat"}
    assert np.array_equal(evaluation_photo("chelsea"), skimage.data.cat().transpose(2, 0, 1))
    held_out = [evaluation_photo(name) for name in EVALUATION_PHOTOS]
    for path in files:
        with Image.open(path) as opened:
            pixels = np.asarray(opened.convert("RGB")).transpose(2, 0, 1)
        for name, photo_ in zip(EVALUATION_PHOTOS, held_out):
            assert not (pixels.shape == photo_.shape and np.array_equal(pixels, photo_)), f"{path} is {name}"


def test_evaluation_photos_are_rgb_levels():
    for name in EVALUATION_PHOTOS:
        image = evaluation_photo(name)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[0] == 3 and min(image.shape[1:]) >= 256


# ---------------------------------------------------------------- pixelcnn conditionals


def tiny_pixelcnn(shape, levels, likelihood, conditional=False):
    torch.manual_seed(0)
    spec = DatasetSpec("tiny", shape, levels, num_classes=3 if conditional else None)
    model = build_model("pixelcnn", spec, {"channels": 8, "layers": 2, "kernel": 3, "likelihood": likelihood,
                                           "conditional": conditional}).eval()
    for layer in model.layers:
        if layer.label_bias is not None:
            torch.nn.init.normal_(layer.label_bias.weight)
    return model


@pytest.mark.parametrize("likelihood, levels", [("categorical", 5), ("logistic_mixture", 256), ("logistic_mixture", 3)])
def test_level_log_probs_agree_with_log_prob(likelihood, levels):
    from genlab.models.likelihoods import make_head

    head = make_head(likelihood, 3, levels, mixtures=4)
    torch.manual_seed(0)
    params = 2 * torch.randn(6, 3 * head.params_per_channel, 4, 5)
    x = torch.randint(0, levels, (6, 3, 4, 5))
    x[0, 0, 0, 0], x[0, 1, 0, 0] = 0, levels - 1  # the edge levels, which take the tails' mass
    table = head.level_log_probs(params)
    assert table.shape == (6, 3, levels, 4, 5)
    torch.testing.assert_close(torch.logsumexp(table.double(), 2), torch.zeros(6, 3, 4, 5, dtype=torch.float64),
                               atol=1e-4, rtol=0)
    picked = table.gather(2, x.unsqueeze(2)).squeeze(2).flatten(1).sum(1)
    torch.testing.assert_close(picked, head.log_prob(params, x), atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("shape, levels, likelihood, conditional",
                         [((1, 5, 4), 4, "categorical", False), ((3, 4, 5), 256, "logistic_mixture", False),
                          ((3, 3, 4), 6, "categorical", True)], ids=["grey-categorical", "rgb-mixture", "conditional"])
def test_walk_conditionals_scores_images_like_log_prob(shape, levels, likelihood, conditional):
    model = tiny_pixelcnn(shape, levels, likelihood, conditional)
    n = 4
    images = torch.randint(0, levels, (n, *shape), generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 1, 2, 1]) if conditional else None
    order = iter(itertools.product(range(shape[1]), range(shape[2]), range(shape[0])))  # raster, channels inside
    total = torch.zeros(n, dtype=torch.float64)

    def choose(log_probs: torch.Tensor, ch: int) -> torch.Tensor:
        nonlocal total
        i, j, c = next(order)
        assert ch == c and log_probs.shape == (n, levels) and log_probs.dtype == torch.float64
        assert torch.allclose(torch.logsumexp(log_probs, 1), torch.zeros(n, dtype=torch.float64), atol=1e-5)
        level = images[:, c, i, j]
        total = total + log_probs[torch.arange(n), level]
        return level

    walked = model.walk_conditionals(n, choose, labels)
    assert next(order, None) is None  # every sub-pixel was visited once
    assert torch.equal(walked, images)
    exact = model.log_prob(images, labels).nats.double()
    torch.testing.assert_close(total, exact, atol=1e-4, rtol=0)
