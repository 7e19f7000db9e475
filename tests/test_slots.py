"""Scene understanding: FG-ARI and its companions on constructed cases, the k-means floor, Slot Attention's
symmetry over slots, and train -> evaluate -> decompose through the CLI with its bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data.scenes import tetrominoes
from genlab.data.spec import DatasetSpec, ExtraSpec
from genlab.errors import UserError
from genlab.metrics.kmeans_segments import kmeans_segments
from genlab.metrics.segmentation import ari_per_image, mean_best_overlap, same_colour_scenes, segmentation_scores

# A tiny network: every option of the family at its smallest useful size.
TINY = {"channels": 8, "slot_dim": 8, "mlp_hidden": 8, "kernel": 3, "encoder_layers": 1, "decoder_layers": 1}


def _two_objects() -> np.ndarray:
    """One 6x6 label map: background 0, object 1 on the left, object 2 on the right."""
    true = np.zeros((1, 6, 6), np.int64)
    true[0, 1:5, 0:2], true[0, 1:5, 4:6] = 1, 2
    return true


# --- the metrics ---------------------------------------------------------------------------------------


def test_fg_ari_is_one_for_the_true_split_under_any_relabelling_and_zero_for_one_segment():
    true = _two_objects()
    relabelled = np.choose(true, [7, 3, 5])  # other values for background and objects
    assert ari_per_image(true, relabelled, foreground_only=True)[0] == pytest.approx(1.0)
    assert mean_best_overlap(true, relabelled) == pytest.approx(1.0)
    one_segment = np.zeros_like(true)
    assert ari_per_image(true, one_segment, foreground_only=True)[0] == pytest.approx(0.0)
    # the background is left out of FG-ARI: merging it with an object changes ARI, not FG-ARI
    merged = np.where(true == 0, 1, true)
    assert ari_per_image(true, merged, foreground_only=True)[0] == pytest.approx(1.0)
    assert ari_per_image(true, merged, foreground_only=False)[0] < 0.9
    scores = segmentation_scores(np.concatenate([true, true]), np.concatenate([relabelled, one_segment]))
    assert scores["fg_ari"] == pytest.approx(0.5)


def test_mean_best_overlap_counts_each_object_by_its_best_segment():
    true = _two_objects()
    half = true.copy()
    half[0, 1:3, 4:6] = 9  # object 2 split in half: its best segment covers half of it
    assert mean_best_overlap(true, half) == pytest.approx((1.0 + 0.5) / 2)


def test_same_colour_scenes_are_the_ones_with_two_objects_of_one_colour():
    true = np.repeat(_two_objects(), 3, axis=0)  # (3, 6, 6)
    x = np.zeros((3, 3, 6, 6), np.uint8)
    x[:, :, true[0] == 1] = 200  # object 1 in one colour in every scene
    x[0][:, true[0] == 2] = 200  # scene 0: object 2 in the same colour
    x[1][:, true[0] == 2] = np.array([200, 200, 90])[:, None]  # scene 1: another colour in one channel
    x[2][:, true[0] == 2] = 200
    x[2][:, 1, 4] = 10  # scene 2: the same colour but one stray pixel (the median ignores it)
    assert same_colour_scenes(x, true).tolist() == [True, False, True]


def test_kmeans_floor_splits_flat_coloured_objects_exactly():
    x, masks = tetrominoes(3, seed=0)
    labels = kmeans_segments(x, 256, k=4, position_weight=0.5)
    assert labels.shape == masks.shape and labels.max() <= 3
    distinct_colours = [len({tuple(x[i][:, masks[i] == j][:, 0]) for j in (1, 2, 3)}) == 3 for i in range(3)]
    scores = ari_per_image(masks, labels, foreground_only=True)
    assert all(score == pytest.approx(1.0) for score, distinct in zip(scores, distinct_colours) if distinct)


# --- the model -------------------------------------------------------------------------------------------


def _model(slots: int | None = None, masks: str = "decoder", **options):
    from genlab.models.registry import build_model

    spec = DatasetSpec("scenes", (3, 12, 12), 256, extras=(ExtraSpec("masks", (12, 12), levels=4),))
    torch.manual_seed(0)
    return build_model("slots", spec, TINY | {"masks": masks} | ({} if slots is None else {"slots": slots})
                       | options).eval()


def test_implicit_differentiation_keeps_the_values_and_passes_the_starts_gradient_straight_through():
    """The same slots as plain rounds; the gradient reaches the start and the last round's weights, and is
    that of the last round alone (the start's gradient equals a one-round model's from the detached slots)."""
    model = _model(init="learnt")
    x = torch.randint(0, 256, (2, 3, 12, 12))
    inputs = model.inputs(x).detach()
    start = model.initial_slots(2)
    plain, _ = model.attention(inputs, start)
    implicit, _ = model.attention(inputs, start, implicit=True)
    torch.testing.assert_close(implicit, plain)
    implicit.sum().backward()
    assert model.slot_queries.grad is not None and model.attention.to_q.weight.grad is not None
    through = model.slot_queries.grad.clone()
    with torch.no_grad():
        before = start
        for _ in range(model.attention.iterations - 1):
            before, _ = model.attention._round(before, model.attention.to_k(model.attention.norm_inputs(inputs)),
                                               model.attention.to_v(model.attention.norm_inputs(inputs)))
    moved = before.clone().requires_grad_(True)
    norm = model.attention.norm_inputs(inputs)
    last, _ = model.attention._round(moved, model.attention.to_k(norm), model.attention.to_v(norm))
    last.sum().backward()
    torch.testing.assert_close(through[0], moved.grad.sum(0))


def test_a_slot_in_its_own_frame_draws_the_same_picture_wherever_it_stands():
    """Frames "slot": moving a slot's frame by one pixel moves what the decoder draws by one pixel (away from
    the border, where the convolutions' padding differs), and the relative grid is the frame's."""
    from genlab.models.slot_frames import Frames, coordinates

    model = _model(slots=1, frames="slot")
    step = 2 / (12 - 1)  # one pixel on [-1, 1]
    slots = torch.randn(1, 1, model.config.slot_dim)
    scales = torch.full((1, 1, 2), 0.3)
    at = Frames(torch.tensor([[[0.0, 0.0]]]), scales)
    moved = Frames(torch.tensor([[[step, step]]]), scales)
    assert torch.allclose(at.relative(coordinates(12, 12))[0, 0, 5, 5], torch.tensor([-step, -step]) / 0.3 * 0.5,
                          atol=1e-6)
    with torch.no_grad():
        here = model.decode_slots(slots, frames=at).images[0, 0]  # (C, H, W)
        there = model.decode_slots(slots, frames=moved).images[0, 0]
    torch.testing.assert_close(there[:, 4:9, 4:9], here[:, 3:8, 3:8], atol=1e-5, rtol=1e-4)


def test_slot_frames_follow_the_attention_and_train():
    """After a round each slot's position is the attention-weighted mean of the positions, its scale their
    spread; the framed model's loss reaches every weight of its attention and decoder."""
    model = _model(frames="slot").train()
    x = torch.randint(0, 256, (2, 3, 12, 12))
    inputs, start = model.inputs(x), model.initial_slots(2)
    frames = model.initial_frames(2, 4)
    coords = model.coords.flatten(0, 1)  # (N, 2)
    _, attention, after = model.attention._framed_round(start, frames, inputs, inputs, coords)
    weights = attention / attention.sum(2, keepdim=True)
    torch.testing.assert_close(after.positions, weights @ coords)
    assert (after.scales >= 0.02).all() and after.scales.shape == (2, 4, 2)
    model.zero_grad()
    model.loss({"x": x})["loss"].backward()
    for name in ("attention.mix.weight", "attention.embed_relative.weight", "decoder_position.weight"):
        assert model.get_parameter(name).grad.abs().sum() > 0, name
    assert not hasattr(model, "encoder_position")  # positions reach the slots relative to their frames only


def test_learnt_starting_slots_split_an_image_without_noise_and_only_into_their_number():
    model = _model(init="learnt", implicit=True)
    x = torch.randint(0, 256, (2, 3, 12, 12))
    with torch.no_grad():
        torch.manual_seed(1)
        first = model.decompose(x).masks
        torch.manual_seed(2)
        torch.testing.assert_close(model.decompose(x).masks, first)
    assert not hasattr(model, "slot_mu")
    with pytest.raises(UserError, match="learnt 4 starting slots"):
        model.decompose(x, slots=5)
    with torch.no_grad():  # the paper's start draws any number of slots
        assert _model(init="gaussian", implicit=False).decompose(x, slots=6).masks.shape == (2, 6, 12, 12)


def test_slots_default_to_the_masks_labels_and_outputs_are_whole():
    model = _model()
    assert model.num_slots == 4 and model.can_decompose and not model.can_sample and not model.has_likelihood
    x = torch.randint(0, 256, (2, 3, 12, 12))
    out = model.decompose(x)
    assert out.reconstruction.shape == (2, 3, 12, 12) and out.images.shape == (2, 4, 3, 12, 12)
    torch.testing.assert_close(out.masks.sum(1), torch.ones(2, 12, 12))
    torch.testing.assert_close(out.reconstruction, (out.masks.unsqueeze(2) * out.images).sum(1))
    with pytest.raises(UserError, match="odd"):
        from genlab.models.registry import build_model
        build_model("slots", model.spec, TINY | {"kernel": 4})


@pytest.mark.parametrize("masks", ["decoder", "attention"])
def test_slot_attention_and_decoder_follow_a_permutation_of_the_slots(masks):
    model = _model(slots=5, masks=masks)
    x = torch.randint(0, 256, (2, 3, 12, 12))
    inputs, start = model.inputs(x), model.initial_slots(2)
    order = torch.tensor([3, 0, 4, 1, 2])
    with torch.no_grad():
        slots, attention = model.attention(inputs, start)
        slots_p, attention_p = model.attention(inputs, start[:, order])
        torch.testing.assert_close(slots_p, slots[:, order], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(attention_p, attention[:, order], atol=1e-6, rtol=1e-5)
        prior = attention if masks == "attention" else None
        out = model.decode_slots(slots, prior)
        out_p = model.decode_slots(slots[:, order], None if prior is None else prior[:, order])
    torch.testing.assert_close(out_p.reconstruction, out.reconstruction, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_p.masks, out.masks[:, order], atol=1e-6, rtol=1e-5)


def test_masks_from_attention_are_the_attention_where_the_decoder_is_indifferent():
    """With mask logits equal across slots, masks "attention" gives each pixel the share its slot won."""
    model = _model(masks="attention")
    with torch.no_grad():
        model.decoder[-1].weight[-1].zero_()  # the mask logits' output channel: 0 for every slot
        model.decoder[-1].bias[-1].zero_()
        x = torch.randint(0, 256, (2, 3, 12, 12))
        torch.manual_seed(1)
        _, attention = model.attention(model.inputs(x), model.initial_slots(2))  # (B, K, H * W)
        torch.manual_seed(1)
        out = model.decompose(x)
    torch.testing.assert_close(out.masks, (attention / attention.sum(1, keepdim=True)).reshape(2, 4, 12, 12),
                               atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out.masks.sum(1), torch.ones(2, 12, 12))


def test_the_attention_fades_out_of_the_masks_over_training_and_the_fade_is_saved(tmp_path):
    from genlab.models.registry import build_model
    from genlab.runs import RunFolder
    from genlab.runs.weights import load_model_weights, save_model

    model = build_model("slots", _model().spec, TINY | {"masks": "attention", "attention_fade": 2})
    assert model.attention_weight == 1.0
    batch = {"x": torch.randint(0, 256, (2, 3, 12, 12))}
    model.train()
    model.loss(batch)
    assert model.attention_weight == 0.5
    model.eval()
    model.loss(batch)  # validation does not count
    assert model.attention_weight == 0.5
    model.train()
    model.loss(batch)
    model.eval()
    assert model.attention_weight == 0.0
    x = batch["x"]
    with torch.no_grad():
        torch.manual_seed(2)
        faded = model.decompose(x)
        torch.manual_seed(2)
        slots, _ = model.attention(model.inputs(x), model.initial_slots(2))
        torch.testing.assert_close(faded.masks, model.decode_slots(slots).masks)  # the decoder's masks alone
    folder = RunFolder(tmp_path)
    save_model(folder, model, None, {"step": 2})
    reopened = build_model("slots", model.spec, TINY | {"masks": "attention", "attention_fade": 2})
    load_model_weights(folder, reopened)
    assert reopened.attention_weight == 0.0
    assert _model(masks="decoder").attention_weight == 0.0 and _model(masks="attention").attention_weight == 1.0


# --- through the CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenes_run(tmp_path_factory, genlab_at):
    """A slots run trained two steps on 40 tetrominoes scenes saved as the user's .npz with masks."""
    folder = tmp_path_factory.mktemp("scenes")
    x, masks = tetrominoes(40, seed=1)
    np.savez(folder / "scenes.npz", x=x, masks=masks)
    Image.fromarray(x[0].transpose(1, 2, 0)).save(folder / "scene.png")
    options = [arg for key, value in TINY.items() for arg in ("--set", f"model.{key}={value}")]
    trained = genlab_at(["train", "--data", "scenes.npz", "--model", "slots", *options, "--steps", "2",
                         "--batch-size", "4", "--quiet", "--out", "run"], folder)
    assert trained.returncode == 0, str(trained)
    return folder


def test_train_evaluate_and_decompose_scenes(scenes_run, genlab_at, metrics):
    run = scenes_run / "run"
    record = [r for r in metrics(run) if r.get("split") == "val"][-1]
    assert 0 < record["val_mse"] < 4 and -1 <= record["val_fg_ari"] <= 1
    assert list((run / "samples").glob("*.png"))  # the overview preview
    evaluated = genlab_at(["evaluate", "run", "--scenes", "3"], scenes_run)
    assert evaluated.returncode == 0 and "FG-ARI" in evaluated.stdout, str(evaluated)
    result = json.loads((run / "evaluation.json").read_text())["results"]
    assert "likelihood" not in result and result["objects"]["scenes"] == 3 and result["objects"]["slots"] == 4
    assert set(result["objects"]["model"]) == set(result["objects"]["kmeans"]) == {"fg_ari", "ari", "mbo"}
    assert "Objects" in (run / "report.md").read_text() and (run / "report" / "objects.png").exists()
    done = genlab_at(["decompose", "run", "scene.png", "-o", "out"], scenes_run)
    assert done.returncode == 0, str(done)
    slot = np.asarray(Image.open(scenes_run / "out" / "scene" / "slot-1.png"))
    masks = np.stack([np.asarray(Image.open(scenes_run / "out" / "scene" / f"mask-{k}.png")) for k in range(1, 5)])
    assert slot.shape == (35, 35, 4) and masks.shape == (4, 35, 35)
    assert np.abs(masks.astype(int).sum(0) - 255).max() <= 4  # the masks share out every pixel (rounded)
    assert (scenes_run / "out" / "scene-overview.png").exists()
    # an image's split depends on the seed, not on the images beside it
    folder = scenes_run / "several"
    folder.mkdir()
    x, _ = tetrominoes(2, seed=5)
    Image.fromarray(x[0].transpose(1, 2, 0)).save(folder / "a.png")
    (folder / "scene.png").write_bytes((scenes_run / "scene.png").read_bytes())
    assert genlab_at(["decompose", "run", "several", "-o", "out2"], scenes_run).returncode == 0
    for name in ("mask-1.png", "slot-2.png"):
        assert (scenes_run / "out2" / "scene" / name).read_bytes() == (scenes_run / "out" / "scene" / name).read_bytes()


def test_decompose_refuses_what_it_cannot_split(scenes_run, digits_run, genlab_at, user_error):
    from genlab.api import decompose, load_run

    grey = scenes_run / "grey"
    grey.mkdir()
    Image.new("L", (35, 35)).save(grey / "a.png")
    user_error(genlab_at(["decompose", "run", "grey", "-o", "never"], scenes_run), "grey", "convert it to RGB")
    assert not (scenes_run / "never").exists()
    run = load_run(scenes_run / "run")
    small = scenes_run / "small.png"
    Image.new("RGB", (20, 24)).save(small)
    with pytest.raises(UserError, match="--resize"):
        decompose(run, small, scenes_run / "never")
    assert not (scenes_run / "never").exists()
    with pytest.raises(UserError, match="learnt 4 starting slots"):  # the default start: BO-QSA's learnt slots
        decompose(run, small, scenes_run / "never", resize=True, slots=6)
    resized = decompose(run, small, scenes_run / "resized", resize=True)
    assert any("resized" in note for note in resized.notes)
    assert Image.open(scenes_run / "resized" / "small" / "mask-4.png").size == (35, 35)
    with pytest.raises(UserError, match="--slots 0"):
        decompose(run, small, scenes_run / "never", slots=0)
    with pytest.raises(UserError, match="slots run"):
        decompose(load_run(digits_run), small, scenes_run / "never")
    with pytest.raises(UserError, match="does not exist"):
        decompose(run, scenes_run / "missing.png", scenes_run / "never")


def test_a_users_npz_masks_are_renumbered_per_scene_and_an_empty_one_refused(tmp_path):
    from genlab.data import load_dataset

    x, masks = tetrominoes(12, seed=2)
    sparse = np.where(masks == 0, 0, masks.astype(np.int64) * 40 + 7)  # labels 47, 87, 127
    np.savez(tmp_path / "sparse.npz", x=x, masks=sparse)
    data = load_dataset(str(tmp_path / "sparse.npz"))
    assert data.spec.extra("masks").levels == 4  # three objects and the background
    for split in (data.train, data.val, data.test):
        assert set(np.unique(split.extras["masks"])) <= {0, 1, 2, 3}
    np.savez(tmp_path / "empty.npz", x=x, masks=np.zeros_like(masks))
    with pytest.raises(UserError, match="marks no object"):
        load_dataset(str(tmp_path / "empty.npz"))


def test_decompose_reads_awkward_colour_images_without_inventing_alpha(scenes_run, genlab_at, awkward_images, tmp_path):
    """A CMYK JPEG was read as inverted RGB with its K channel as alpha ("alpha channels were ignored")."""
    folder = tmp_path / "colour"
    folder.mkdir()
    for name in ("cmyk.jpg", "rgb16.png", "palette.png"):
        (folder / name).write_bytes(awkward_images[name].path.read_bytes())
    done = genlab_at(["decompose", "run", folder, "--resize", "-o", tmp_path / "out"], scenes_run)
    assert done.returncode == 0 and "CMYK" in done.stdout and "alpha" not in done.stdout, str(done)
    assert all((tmp_path / "out" / f"{name}-overview.png").exists() for name in ("cmyk", "rgb16", "palette"))


def test_a_new_run_takes_the_familys_choices_for_a_builtin_dataset_under_its_own(tmp_path, monkeypatch):
    from genlab.config import load_config
    from genlab.models.registry import options_for_data
    from genlab.models.slots import SlotsConfig
    from genlab.training.run import train

    assert options_for_data("slots", "multi-dsprites", {}) == {"masks": "attention"}  # the probe's pick there
    assert options_for_data("slots", "tetrominoes", {"masks": "attention"}) == {"masks": "attention"}
    monkeypatch.setattr(SlotsConfig, "FOR_DATA", {"digits": {"masks": "attention", "iterations": 2}})
    monkeypatch.setattr(SlotsConfig, "TRAINING_FOR_DATA", {"digits": {"lr": 5e-4, "eval_every": 9}})
    config = load_config(None, {"data": {"source": "digits"}, "model": {"name": "slots", "iterations": 1} | TINY,
                                "training": {"steps": 1, "batch_size": 4, "eval_every": 1}})
    train(config, tmp_path / "run", quiet=True)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    assert saved["model"]["masks"] == "attention" and saved["model"]["iterations"] == 1  # the run's own option wins
    assert saved["training"]["lr"] == 5e-4 and saved["training"]["eval_every"] == 1  # the same for training


def test_a_slots_run_saved_before_bo_qsa_loads_with_the_papers_start_it_trained():
    from genlab.models.registry import model_config, saved_options

    saved = {"conditional": False, "slots": 4, "masks": "decoder"} | TINY  # a config.json's model options then
    old = model_config("slots", saved_options("slots", saved))
    assert (old.init, old.implicit) == ("gaussian", False)
    assert (model_config("slots", {}).init, model_config("slots", {}).implicit) == ("learnt", True)
