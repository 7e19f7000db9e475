"""The VAE on the shared conv parts, and checkpoints written before it was: their tensor names are upgraded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genlab.data.spec import DatasetSpec
from genlab.models.registry import build_model
from genlab.models.vae import VAE

OLD_RUN = Path(__file__).parent / "fixtures" / "old-vae-digits"  # 12 steps on digits, written by the old layout
EMA = "ema."


def old_run_model() -> VAE:
    """An untrained VAE built from the old run folder's config.json (its dataset spec and model options)."""
    config = json.loads((OLD_RUN / "config.json").read_text())
    d = config["dataset"]
    spec = DatasetSpec(d["name"], tuple(d["shape"]), d["levels"], num_classes=d["num_classes"],
                       class_names=tuple(d["class_names"]))
    options = {k: v for k, v in config["config"]["model"].items() if k != "name"}
    return build_model("vae", spec, options)


def old_tensors(ema: bool) -> dict[str, torch.Tensor]:
    """The model's tensors (ema=False) or the EMA copies with their prefix stripped, under their old names."""
    tensors = load_file(str(OLD_RUN / "model.safetensors"))
    if ema:
        return {k[len(EMA):]: v for k, v in tensors.items() if k.startswith(EMA)}
    return {k: v for k, v in tensors.items() if not k.startswith(EMA)}


@pytest.mark.parametrize("ema", [False, True], ids=["model", "ema"])
def test_an_old_checkpoint_loads_strictly_after_upgrading_its_names(ema):
    plain = old_tensors(ema)
    assert any(k.startswith("dec_blocks.") for k in plain), "the fixture should hold the old names"
    model = old_run_model()
    with pytest.raises(RuntimeError):  # the old names alone no longer fit
        model.load_state_dict(plain)
    upgraded = model.upgrade_state_dict(plain)
    model.load_state_dict(upgraded, strict=True)
    assert len(upgraded) == len(plain)
    state = model.state_dict()
    for old, new in [("from_latent.weight", "decoder.from_latent.weight"),
                     ("dec_blocks.0.0.body.1.weight", "decoder.stages.0.0.body.1.weight"),
                     ("to_params.1.bias", "decoder.to_params.1.bias"),
                     ("encoder.0.weight", "encoder.0.weight"), ("to_posterior.bias", "to_posterior.bias")]:
        assert torch.equal(state[new], plain[old]), (old, new)


def test_an_old_checkpoint_scores_as_it_did_before_the_upgrade():
    """Its ELBO on fixed images, measured with the code that wrote it (-1460.7135 nats over these 8 images)."""
    model = old_run_model()
    model.load_state_dict(model.upgrade_state_dict(old_tensors(ema=False)))
    x = torch.randint(0, 17, (8, 1, 8, 8), generator=torch.Generator().manual_seed(3))
    torch.manual_seed(0)
    nats = model.eval().log_prob(x).nats  # (8,)
    assert float(nats.sum()) == pytest.approx(-1460.7135009765625, rel=1e-5)


def test_current_names_pass_through_and_the_decoder_is_the_shared_one():
    from genlab.models.conv_parts import ConvDecoder

    torch.manual_seed(0)
    model = build_model("vae", DatasetSpec("grey17", (1, 8, 8), 17), {"channels": 8, "latent_dim": 4})
    assert isinstance(model.decoder, ConvDecoder)
    state = model.state_dict()
    assert model.upgrade_state_dict(dict(state)).keys() == state.keys()
    assert {k.split(".")[0] for k in state} == {"encoder", "to_posterior", "decoder"}
