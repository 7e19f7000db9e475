"""A capability only one family has lives in that family's module: its own validators run beside the shared
ones (before the loss fallback, which its figure then keeps from running), `genlab train`'s closing lines
describe them, and its own report pictures follow the shared kinds."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from genlab.data import load_dataset
from genlab.models.codec import Codec
from genlab.models.registry import model_config
from genlab.models.vae import VAE
from genlab.tables import Section
from genlab.validation import Context, describe, validate
from genlab.validation.base import Validator
from genlab.validation.registry import validators


class Brightness(Validator):
    """The mean grey level of the validation images the model reconstructs (a stand-in for a new figure)."""

    name = "brightness"

    def applies(self, model) -> bool:
        return True

    def validate(self, model, val, context) -> dict:
        return {"val_brightness": float(val.x.mean())}

    def describe(self, record: dict) -> str | None:
        return f"brightness: {record['val_brightness']:.3f}" if "val_brightness" in record else None


class MeanPicture:
    """A report picture of the family's own."""

    @staticmethod
    def applies(model) -> bool:
        return True

    @staticmethod
    def draw(run, split: str) -> list[Section]:
        return [Section(f"Brightness of the {split} split")]


class BrightVAE(VAE):
    name = "bright-vae"
    own_validators = (f"{__name__}:Brightness",)
    own_pictures = (f"{__name__}:MeanPicture",)


class BrightCodec(Codec):
    """A family that only the loss fallback measures (a codec), with a figure of its own."""

    name = "bright-codec"
    own_validators = (f"{__name__}:Brightness",)


def _model(family: type = BrightVAE, base: str = "vae", options: dict | None = None):
    data = load_dataset("digits")
    return data, family(data.spec, model_config(base, options or {"channels": 8, "latent_dim": 4})).eval()


def _context(data, tmp_path) -> Context:
    return Context(data.spec, seed=0, preview=tmp_path / "preview", batch_size=32, device=torch.device("cpu"))


def test_a_familys_own_validator_runs_beside_the_shared_ones_and_is_described(tmp_path):
    names = [v.name for v in validators(BrightVAE)]
    assert names.index("brightness") < names.index("loss")
    assert "brightness" not in [v.name for v in validators()]  # nobody else's
    data, model = _model()
    record = validate(model, data.val, _context(data, tmp_path))
    assert record["val_brightness"] == float(data.val.x.mean()) and "val_bpd" in record
    assert f"brightness: {record['val_brightness']:.3f}" in describe(record, BrightVAE)
    assert not any(line.startswith("brightness") for line in describe(record))


def test_a_figure_of_its_own_keeps_the_loss_fallback_from_running(tmp_path):
    assert "loss" in [v.name for v in validators() if v.applies(Codec)]
    data, model = _model(BrightCodec, "codec", {"channels": 8, "latent_channels": 8})
    record = validate(model, data.val, _context(data, tmp_path))
    assert "val_brightness" in record and "val_loss" not in record


def test_a_familys_own_pictures_follow_the_shared_kinds(monkeypatch):
    from genlab.reports import pictures as kinds

    monkeypatch.setattr(kinds, "PICTURES", ())  # the shared kinds draw from a whole run: left out here
    _, model = _model()
    sections = kinds.pictures(SimpleNamespace(model=model), "test")
    assert [s.title for s in sections] == ["Brightness of the test split"]
