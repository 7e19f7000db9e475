"""Every registered model family: a one-step smoke test of the whole protocol on tiny specs."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
import torch
from conftest import TINY_OPTIONS

from genlab.config import load_config
from genlab.data.spec import DatasetSpec, ExtraSpec
from genlab.errors import UserError
from genlab.models.base import DECLARED, IMPLEMENTED_BY, GenerativeModel
from genlab.models.registry import MODELS, build_model, model_class
from genlab.runs import FORMAT_VERSION, ModelInfo, RunFolder, RunInfo
from genlab.runs.weights import save_model

SPECS = [
    DatasetSpec("grey17", (1, 8, 8), 17),
    DatasetSpec("binary28", (1, 28, 28), 2),
    DatasetSpec("grey256", (1, 28, 28), 256),
    DatasetSpec("rgb256", (3, 12, 10), 256, num_classes=3, class_names=("a", "b", "c")),
    DatasetSpec("tokens12", (12,), 9, modality="tokens", tokenizer="smiles",
                vocabulary=("<pad>", "<bos>", "<eos>", "C", "N", "O", "(", ")", "1"),
                extras=(ExtraSpec("properties", (1,), "float64", names=("activity",)),)),
    DatasetSpec("speech", (4096,), 65536, modality="audio", rate=8000,
                extras=(ExtraSpec("samples", (1,), "int32"),
                        ExtraSpec("text", (6,), "int16", levels=5, modality="tokens", vocabulary=tuple("_abcd")))),
    DatasetSpec("clips", (6, 1, 8, 8), 256, modality="video"),
]
BATCH = 4
M1_FOLDERS = Path(tempfile.mkdtemp(prefix="genlab-tiny-m1-"))  # untrained tiny VAEs M1+M2 stacks on, per spec


def tiny_m1_folder(spec: DatasetSpec) -> Path:
    """A run folder holding an untrained tiny VAE of `spec`: the M1 an m1m2 model needs (model.features)."""
    folder = RunFolder(M1_FOLDERS / spec.name)
    if not folder.has_weights():
        torch.manual_seed(0)
        vae = build_model("vae", spec, TINY_OPTIONS["vae"])
        config = load_config(None, {"data": {"source": spec.name}, "model": {"name": "vae"} | TINY_OPTIONS["vae"]})
        folder.path.mkdir(parents=True)
        folder.write_info(RunInfo(format=FORMAT_VERSION, config=config, dataset=spec.to_dict(),
                                  model=ModelInfo(name="vae", parameters=0, capabilities=vae.capabilities())))
        save_model(folder, vae, None, {"step": 0})
    return folder.path


def home_spec(name: str) -> DatasetSpec:
    """The first spec of SPECS a family models (a labelled one for families that learn labels)."""
    return next(s for s in SPECS if models(name, s))


def models(name: str, spec: DatasetSpec) -> bool:
    """Whether family `name` is built on data of `spec` (its modality, and labels if it learns them)."""
    cls = model_class(name)
    return spec.modality in cls.modalities and bool(spec.num_classes or not cls.needs_labels)


def tiny(name: str, spec: DatasetSpec, **options) -> GenerativeModel:
    if name == "m1m2":
        options = {"features": str(tiny_m1_folder(spec))} | options
    torch.manual_seed(0)
    return build_model(name, spec, TINY_OPTIONS.get(name, {}) | options)


def random_batch(spec: DatasetSpec) -> dict:
    gen = torch.Generator().manual_seed(1)
    batch = {"x": torch.randint(0, spec.levels, (BATCH, *spec.shape), generator=gen)}
    if spec.num_classes:
        batch["y"] = torch.randint(0, spec.num_classes, (BATCH,), generator=gen)
    for extra in spec.extras:
        if extra.name == "samples":  # waveform lengths: at least half the longest (a frame per symbol and more)
            batch[extra.name] = torch.randint(spec.shape[0] // 2, spec.shape[0] + 1, (BATCH, 1), generator=gen)
        elif extra.levels:  # symbol ids, none of them padding
            batch[extra.name] = torch.randint(1, extra.levels, (BATCH, *extra.shape), generator=gen)
        else:  # measured properties, as float64 arrays become
            batch[extra.name] = torch.randn(BATCH, *extra.shape, generator=gen, dtype=torch.float64)
    return batch


def condition(model: GenerativeModel, batch: dict):
    return batch.get("y") if model.is_conditional else None


# The contract tests that hold only for families with a capability (the rest run on every family).
ONLY_FOR = {
    "test_sample": lambda cls: cls.can_sample,
    "test_forecast": lambda cls: cls.can_forecast,
    "test_inpaint": lambda cls: cls.can_inpaint,
    "test_iwae_bound_for_latent_models": lambda cls: cls.has_importance_bound,
    "test_label_models_take_labelled_data_only": lambda cls: cls.needs_labels,
    "test_conditional_step_sample_and_likelihood": lambda cls: not cls.needs_labels and models(cls.name, LABELLED),
    "test_conditional_on_unlabelled_data_is_a_user_error": lambda cls: not cls.needs_labels,
}


def _spec_id(spec: DatasetSpec) -> str:
    return f"{spec.name}-{'x'.join(map(str, spec.shape))}-L{spec.levels}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`family` (and `spec`) arguments: every family the test holds for (ONLY_FOR), on every spec it models, so
    the registry-wide contract runs only the pairs that apply and reports no skips."""
    if "family" not in metafunc.fixturenames:
        return
    holds = ONLY_FOR.get(metafunc.function.__name__, lambda cls: True)
    families = [name for name in sorted(MODELS) if holds(model_class(name))]
    if "spec" not in metafunc.fixturenames:
        metafunc.parametrize("family", families)
        return
    pairs = [(name, spec) for name in families for spec in SPECS if models(name, spec)]
    metafunc.parametrize("family, spec", pairs, ids=[f"{name}-{_spec_id(spec)}" for name, spec in pairs])


def test_registry_maps_names_to_classes():
    assert "vae" in MODELS
    for name in MODELS:
        cls = model_class(name)
        assert issubclass(cls, GenerativeModel)
        assert cls.name == name


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="Unknown model 'nope'"):
        build_model("nope", SPECS[0], {})


def test_unknown_option_is_a_user_error(family):
    with pytest.raises(UserError, match="no_such_option"):
        build_model(family, SPECS[0], {"no_such_option": 1})


def test_one_training_step(family, spec):
    _one_step(tiny(family, spec), spec)


def test_one_training_step_of_the_hifigan_vocoder():
    audio = next(s for s in SPECS if s.modality == "audio")
    _one_step(tiny("vocoder", audio, generator="hifigan", channels=8), audio)


def test_a_vocoder_saved_before_the_istft_generator_loads_as_the_hifigan_it_trained():
    from genlab.models.registry import model_config, saved_options
    from genlab.models.vocoder import VocoderConfig

    saved = {"conditional": False, "channels": 128, "kernels": [3, 7], "dilations": [1, 3], "d_channels": 8,
             "segment": 8192, "mel_weight": 45.0, "feature_weight": 2.0}  # a config.json's model options then
    assert model_config("vocoder", saved_options("vocoder", saved)).generator == "hifigan"
    assert VocoderConfig().generator == "istft"
    assert model_config("tts", saved_options("tts", {})).alignment_prior == 0.0  # saved before the prior


def _one_step(model: GenerativeModel, spec: DatasetSpec) -> None:
    """One optimiser step: a finite scalar loss, finite gradients on every parameter, changed weights."""
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = model(random_batch(spec))
    assert "loss" in out
    loss = out["loss"]
    assert loss.ndim == 0 and torch.isfinite(loss)
    for name, value in out.items():
        assert math.isfinite(float(value.detach() if torch.is_tensor(value) else value)), name
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    optimizer.step()
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


ALL_CAPABILITIES = {"can_sample", "has_likelihood", "has_latent", "can_classify", "is_autoregressive", "can_upscale",
                    "has_latent_kl", "can_decompose", "can_predict", "can_speak", "can_vocode", "can_forecast", "can_inpaint",
                    "has_importance_bound", "semi_supervised", "needs_labels", "can_condition", "is_codec",
                    "is_conditional"}


def test_capabilities_are_declared(family, spec):
    model = tiny(family, spec)
    caps = model.capabilities()
    assert set(caps) == ALL_CAPABILITIES
    assert all(isinstance(v, bool) for v in caps.values())
    cls = model_class(family)
    for name, value in caps.items():  # the dict, the instance and the class say the same
        assert getattr(model, name) == value, name
        if name != "is_conditional":
            assert getattr(cls, name) == value, name
    assert caps["is_conditional"] == model.config.conditional


def _implements(cls: type[GenerativeModel], method: str) -> bool:
    return getattr(cls, method) is not getattr(GenerativeModel, method)


def test_capabilities_agree_with_the_methods_a_family_implements(family):
    """A capability that is a method is present exactly when the family implements that method (for a latent
    space both encode and decode: a GAN's decode alone is not one), and the declared ones are consistent."""
    cls = model_class(family)
    for capability, methods in IMPLEMENTED_BY.items():
        assert getattr(cls, capability) == all(_implements(cls, m) for m in methods), capability
    assert set(IMPLEMENTED_BY) | set(DECLARED) | {"is_conditional"} == ALL_CAPABILITIES
    if cls.has_importance_bound:
        assert cls.has_likelihood, "an importance-weighted bound is a likelihood bound"
    if cls.is_codec:
        assert not cls.has_likelihood and not cls.can_sample
    if cls.semi_supervised:
        assert cls.needs_labels and cls.can_classify
    if cls.is_autoregressive:
        assert cls.has_likelihood


def test_what_a_family_does_not_implement_raises(family):
    """The base's defaults: every method a family leaves out raises NotImplementedError naming the family."""
    spec = home_spec(family)
    model = tiny(family, spec).eval()
    x = random_batch(spec)["x"]
    calls = {"sample": lambda: model.sample(2), "log_prob": lambda: model.log_prob(x),
             "encode": lambda: model.encode(x), "decode": lambda: model.decode(torch.zeros(2, 4)),
             "classify": lambda: model.classify(x), "walk_conditionals": lambda: model.walk_conditionals(2, None)}
    for method, call in calls.items():
        if not _implements(type(model), method):
            with pytest.raises(NotImplementedError, match=family):
                call()


def test_a_derived_capability_cannot_be_declared():
    """Declaring can_sample (or any capability that follows from a method) would be a second place to say it."""
    with pytest.raises(TypeError, match="can_sample.*implement"):
        class Liar(GenerativeModel):  # noqa: F841
            name = "liar"
            can_sample = True

            def loss(self, batch):
                return {}


def test_upgrade_state_dict_keeps_current_names(family):
    """Every family maps its own current tensor names to themselves (an old checkpoint's names are its business)."""
    model = tiny(family, home_spec(family))
    state = model.state_dict()
    assert model.upgrade_state_dict(dict(state)).keys() == state.keys()


def test_sample(family, spec):
    model = tiny(family, spec).eval()
    cond = torch.arange(3) % (spec.num_classes or 1) if model.is_conditional else None
    torch.manual_seed(0)
    x = model.sample(3, cond)
    assert x.shape == (3, *spec.shape)
    assert x.dtype == torch.long
    assert x.min() >= 0 and x.max() <= spec.levels - 1
    torch.manual_seed(0)
    assert torch.equal(model.sample(3, cond), x), "sampling is not reproducible from the torch seed"


def test_forecast(family, spec):
    """Forecasting families continue clips: levels in range, the frames asked for (beyond the trained horizon
    too), the seen frames only the last context_frames of what is given; a stochastic one by the torch seed."""
    model = tiny(family, spec).eval()
    clips = random_batch(spec)["x"]  # (B, T, C, H, W)
    seen = model.context_frames
    def seeded(context, frames=None):
        torch.manual_seed(0)
        with torch.no_grad():
            return model.forecast(context, frames)

    ahead = seeded(clips[:, :seen])
    longer = seeded(clips[:, :seen], 2 * spec.shape[0])
    from_more = seeded(torch.cat([clips[:, :2], clips[:, :seen]], dim=1))
    assert ahead.shape == (BATCH, spec.shape[0] - seen, *spec.shape[1:]) and ahead.dtype == torch.long
    assert longer.shape == (BATCH, 2 * spec.shape[0], *spec.shape[1:])
    assert torch.equal(longer[:, : ahead.shape[1]], ahead) and torch.equal(from_more, ahead)
    assert ahead.min() >= 0 and longer.max() <= spec.levels - 1
    with pytest.raises(UserError, match=f"from {seen} frames"):
        model.forecast(clips[:, : seen - 1])


def test_inpaint(family, spec):
    """Inpainting families fill the masked pixels and keep every other one exactly, reproducibly by seed."""
    model = tiny(family, spec).eval()
    x = random_batch(spec)["x"]
    mask = torch.zeros(BATCH, *spec.shape[1:], dtype=torch.bool)
    mask[:, spec.shape[1] // 2 :] = True  # the lower half
    cond = condition(model, random_batch(spec))
    torch.manual_seed(0)
    filled = model.inpaint(x, mask, cond)
    assert filled.shape == x.shape and filled.dtype == torch.long
    assert torch.equal(filled[:, :, : spec.shape[1] // 2], x[:, :, : spec.shape[1] // 2])
    assert filled.min() >= 0 and filled.max() < spec.levels and not torch.equal(filled, x)
    torch.manual_seed(0)
    assert torch.equal(model.inpaint(x, mask, cond), filled)
    assert torch.equal(model.inpaint(x, torch.zeros_like(mask), cond), x)  # nothing to fill: nothing changes


def test_log_prob(family, spec):
    model = tiny(family, spec).eval()
    if not model.has_likelihood:
        with pytest.raises(NotImplementedError):
            model.log_prob(random_batch(spec)["x"])
        return
    batch = random_batch(spec)
    result = model.log_prob(batch["x"], condition(model, batch))
    assert result.nats.shape == (BATCH,)
    assert torch.isfinite(result.nats).all()
    assert (result.nats <= 1e-3).all(), "log-probabilities of discrete data cannot be positive"
    assert isinstance(result.bound, str) and result.bound
    # A uniform guess costs dims * ln(levels); an untrained model should be within a sane factor of it.
    assert (-result.nats < 50 * spec.dims * math.log(spec.levels)).all()


def test_classify(family, spec):
    model = tiny(family, spec).eval()
    x = random_batch(spec)["x"]
    if not model.can_classify:
        with pytest.raises(NotImplementedError):
            model.classify(x)
        return
    logits = model.classify(x)
    assert logits.shape == (BATCH, spec.num_classes) and torch.isfinite(logits).all()


def test_label_models_take_labelled_data_only(family):
    with pytest.raises(UserError, match="no labels"):
        build_model(family, SPECS[0], TINY_OPTIONS.get(family, {}))
    with pytest.raises(UserError, match="--conditional"):
        build_model(family, LABELLED, TINY_OPTIONS.get(family, {}) | {"conditional": True})


def test_iwae_bound_for_latent_models(family, spec):
    model = tiny(family, spec).eval()
    batch = random_batch(spec)
    torch.manual_seed(0)
    iwae = model.log_prob(batch["x"], condition(model, batch), k=4)
    assert iwae.bound == "iwae-4"
    assert iwae.nats.shape == (BATCH,) and torch.isfinite(iwae.nats).all()


def test_encode_decode(family, spec):
    model = tiny(family, spec).eval()
    x = random_batch(spec)["x"]
    if not model.has_latent:
        with pytest.raises(NotImplementedError):
            model.encode(x)
        return
    z = model.encode(x)
    assert z.ndim == 2 and z.shape[0] == BATCH and torch.isfinite(z).all()
    recon = model.decode(z)
    assert recon.shape == x.shape
    assert recon.dtype == torch.long
    assert recon.min() >= 0 and recon.max() <= spec.levels - 1


@pytest.mark.parametrize(
    "options",
    [{"latent_dim": -3}, {"latent_dim": 0}, {"channels": 0}, {"dropout": 2.0}, {"mixtures": 0}, {"blocks": -1},
     {"beta": -1.0}, {"free_bits": -0.5}],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()),
)
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_out_of_range_vae_option_is_a_user_error(options):
    spec = DatasetSpec("grey256", (1, 8, 8), 256)
    with pytest.raises(UserError):
        model = build_model("vae", spec, {"channels": 8, "latent_dim": 4} | options)
        model.loss(random_batch(spec))


def test_vae_free_bits_train_each_latent_as_at_least_its_floor_and_report_the_elbo():
    """free_bits: a latent whose batch-mean KL is under the floor counts as the floor in the training loss (no
    gradient pulls it to the prior); the logged bits/dim stay the ELBO's. Far above every KL, the loss is
    recon + Z * floor."""
    spec = DatasetSpec("grey256", (1, 8, 8), 256)
    batch = random_batch(spec)
    losses = {}
    for floor in (0.0, 50.0):
        torch.manual_seed(0)
        model = build_model("vae", spec, {"channels": 8, "latent_dim": 4, "free_bits": floor})
        torch.manual_seed(1)
        losses[floor] = model.loss(batch)
    free, plain = losses[50.0], losses[0.0]
    assert free["loss"].item() == pytest.approx((free["recon"].item() + 4 * 50.0) / spec.dims, rel=1e-5)
    assert plain["loss"].item() == pytest.approx((plain["recon"] + plain["kl"]).item() / spec.dims, rel=1e-5)
    assert free["bpd"].item() == pytest.approx(plain["bpd"].item(), rel=1e-6)  # same draw, same ELBO


LABELLED = SPECS[3]


def test_conditional_step_sample_and_likelihood(family):
    """--conditional: the loss uses labels, sampling takes one label per example, log_prob takes labels."""
    if not model_class(family).can_condition:
        with pytest.raises(UserError, match="no class-conditional form"):
            tiny(family, LABELLED, conditional=True)
        return
    model = tiny(family, LABELLED, conditional=True)
    assert model.is_conditional
    batch = random_batch(LABELLED)
    out = model(batch)
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    model.eval()
    labels = torch.tensor([0, 1, 2])
    torch.manual_seed(0)
    x = model.sample(3, labels)
    assert x.shape == (3, *LABELLED.shape) and x.min() >= 0 and x.max() <= LABELLED.levels - 1
    if model.has_likelihood:
        assert model.log_prob(batch["x"], batch["y"]).nats.shape == (BATCH,)


def test_conditional_on_unlabelled_data_is_a_user_error(family):
    with pytest.raises(UserError, match="no labels" if model_class(family).can_condition else "no class-conditional"):
        tiny(family, home_spec(family), conditional=True)


def test_sampler_options_are_checked_from_their_one_declaration():
    """models/sampler_options.py declares each sampler option once: genlab.sampling's checks, the CLI's flags and
    the studio's request bounds come from it; a family takes those its sample() names."""
    from genlab.models.sampler_options import SAMPLER
    from genlab.sampling import check_options

    spec = DatasetSpec("grey256", (1, 8, 8), 256)
    vae = build_model("vae", spec, {"channels": 8, "latent_dim": 4})
    assert check_options(vae, {"temperature": 0.5, "steps": None}) == {"temperature": 0.5}
    for bad, message in [({"temperature": 0.0}, "--temperature 0.0 must be positive"),
                         ({"steps": 0}, "--steps 0 must be a whole number, at least 1"),
                         ({"method": "euler"}, "--method 'euler' is not ddim or ddpm"),
                         ({"steps": 5}, "--steps does not apply to model vae")]:
        with pytest.raises(UserError, match=message):
            check_options(vae, bad)
    assert all(option.keyword == name for name, option in SAMPLER.items())
