"""Model families by name. Each entry names the module and class, imported only when used, so listing
families and parsing options never pays for building every network."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import ValidationError

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel

MODELS: dict[str, str] = {
    "vae": "genlab.models.vae:VAE",
    "tcvae": "genlab.models.tcvae:TCVAE",
    "factorvae": "genlab.models.factorvae:FactorVAE",
    "gan": "genlab.models.gan:GAN",
    "pixelcnn": "genlab.models.pixelcnn:PixelCNN",
    "flow": "genlab.models.flow:Flow",
    "diffusion": "genlab.models.diffusion:Diffusion",
    "classifier": "genlab.models.classifier:Classifier",
    "ssvae": "genlab.models.ssvae:SSVAE",
    "m1m2": "genlab.models.m1m2:M1M2",
    "codec": "genlab.models.codec:Codec",
    "srresnet": "genlab.models.srresnet:SRResNet",
    "srgan": "genlab.models.srgan:SRGAN",
    "slots": "genlab.models.slots:Slots",
    "charrnn": "genlab.models.charrnn:CharRNN",
    "smiles-vae": "genlab.models.smiles_vae:SmilesVAE",
    "predictor": "genlab.models.predictor:Predictor",
    "tts": "genlab.models.tts:TextToSpeech",
    "vocoder": "genlab.models.vocoder:Vocoder",
    "video-predict": "genlab.models.video_predict:VideoPredict",
    "video": "genlab.models.video:Video",
}


def model_class(name: str) -> type[GenerativeModel]:
    if name not in MODELS:
        raise UserError(f"Unknown model '{name}': use one of {', '.join(sorted(MODELS))}.")
    module, cls = MODELS[name].split(":")
    return getattr(importlib.import_module(module), cls)


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


def build_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Every option of the family, the ones not given at their defaults: what config.json records."""
    return model_config(name, options).model_dump()


def build_model(name: str, spec: DatasetSpec, options: dict[str, Any]) -> GenerativeModel:
    """Instantiate a family with validated options."""
    return model_class(name)(spec, model_config(name, options))
