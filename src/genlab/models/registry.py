"""Model families by name. Each entry names the module and class, imported only when used, so listing
families and parsing options never pays for building every network."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from genlab.errors import UserError
from genlab.targets import resolve

if TYPE_CHECKING:  # the table and --model's help stay free of torch
    from genlab.data.spec import DatasetSpec
    from genlab.models.base import GenerativeModel

class Family(NamedTuple):
    target: str  # "module:Class"
    summary: str  # what it is for, in a few words: `genlab train --model`'s help is made of these


MODELS: dict[str, Family] = {
    "vae": Family("genlab.models.vae:VAE", "images; beta-VAE is vae with --set model.beta=4"),
    "tcvae": Family("genlab.models.tcvae:TCVAE", "beta-TCVAE, a VAE that disentangles factors of variation"),
    "factorvae": Family("genlab.models.factorvae:FactorVAE", "FactorVAE, the same aim with a TC discriminator"),
    "gan": Family("genlab.models.gan:GAN", "images"),
    "pixelcnn": Family("genlab.models.pixelcnn:PixelCNN", "images, exact likelihood; lossless compression"),
    "flow": Family("genlab.models.flow:Flow", "images"),
    "diffusion": Family("genlab.models.diffusion:Diffusion", "images; inpainting"),
    "classifier": Family("genlab.models.classifier:Classifier", "discriminative"),
    "ssvae": Family("genlab.models.ssvae:SSVAE", "semi-supervised M2"),
    "m1m2": Family("genlab.models.m1m2:M1M2", "M2 on a trained vae's latents: --set model.features=RUN"),
    "codec": Family("genlab.models.codec:Codec", "lossy image compression, on photos"),
    "srresnet": Family("genlab.models.srresnet:SRResNet", "super-resolution x4, pixel loss"),
    "srgan": Family("genlab.models.srgan:SRGAN", "super-resolution that looks real: --set model.generator="
                    "SRRESNET_RUN; its perceptual loss is feature matching on its own discriminator, as VGG weights "
                    "cannot be downloaded"),
    "slots": Family("genlab.models.slots:Slots", "Slot Attention: scenes into objects"),
    "charrnn": Family("genlab.models.charrnn:CharRNN", "molecules, the MOSES language model"),
    "smiles-vae": Family("genlab.models.smiles_vae:SmilesVAE", "molecules, a latent space to walk and design in"),
    "predictor": Family("genlab.models.predictor:Predictor", "a molecule's measured response from few labels"),
    "tts": Family("genlab.models.tts:TextToSpeech", "speech: text to mel"),
    "vocoder": Family("genlab.models.vocoder:Vocoder", "speech: mel to waveform"),
    "video-predict": Family("genlab.models.video_predict:VideoPredict", "video: the next frames"),
    "video": Family("genlab.models.video:Video", "video, SVG-LP: clips drawn and continued"),
}


def families_help() -> str:
    """Every family with its summary, for --model's help."""
    return "; ".join(f"{name} ({family.summary})" for name, family in MODELS.items()) + "."


def model_class(name: str) -> type[GenerativeModel]:
    if name not in MODELS:
        raise UserError(f"Unknown model '{name}': use one of {', '.join(sorted(MODELS))}.")
    return resolve(MODELS[name].target)


def model_config(name: str, options: dict[str, Any]):
    """A family's validated Config (unknown or ill-typed options are a UserError)."""
    try:
        return model_class(name).Config(**options)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        raise UserError(f"Model option '{where}' for {name}: {first['msg']}.") from None


def saved_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """A saved run's options (its config.json), with each option added since at the value it trained with
    (the family Config's BEFORE_IT_EXISTED)."""
    return model_class(name).Config.BEFORE_IT_EXISTED | options


def options_for_data(name: str, source: str, options: dict[str, Any]) -> dict[str, Any]:
    """A new run's options on data `source`: the family's choices for that built-in (its Config's FOR_DATA)
    under the ones given."""
    return model_class(name).Config.FOR_DATA.get(source, {}) | options


def training_for_data(name: str, source: str, given: set[str]) -> dict[str, Any]:
    """The family's training settings for built-in `source` (its Config's TRAINING_FOR_DATA) that a new run
    takes: those not among the settings `given`."""
    return {key: value for key, value in model_class(name).Config.TRAINING_FOR_DATA.get(source, {}).items()
            if key not in given}


def build_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Every option of the family, the ones not given at their defaults: what config.json records."""
    return model_config(name, options).model_dump()


def build_model(name: str, spec: DatasetSpec, options: dict[str, Any]) -> GenerativeModel:
    """Instantiate a family with validated options."""
    return model_class(name)(spec, model_config(name, options))
