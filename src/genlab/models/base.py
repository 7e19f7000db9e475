"""The protocol every model family implements, so training, evaluation and apps never special-case one.

A batch is a dict: ``{"x": LongTensor (B, C, H, W) of integer levels, "y": LongTensor (B,) or absent}``.
Samples come back in the same form: integer levels in the dataset's own range.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError


class ModelConfig(BaseModel):
    """Base of every family's options; unknown keys are an error so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")
    conditional: bool = False  # learn p(x | label) on labelled data (`genlab train --conditional`)
    # Options added after runs of the family were saved, at the value those runs trained with: a saved
    # config.json that lacks one is read with it, not with today's default (registry.saved_options), so an
    # older run loads and resumes as what it was.
    BEFORE_IT_EXISTED: ClassVar[dict[str, Any]] = {}
    # Built-in dataset -> the options the family's evidence picked there (a benchmark's probe), taken by a new
    # run on that dataset for each option it does not set (registry.options_for_data); config.json records
    # them, so a change here never alters a saved run.
    FOR_DATA: ClassVar[dict[str, dict[str, Any]]] = {}
    # The same for training settings (learning rate, precision, ...): taken by a new run on that dataset for
    # each one the user does not set (registry.training_for_data).
    TRAINING_FOR_DATA: ClassVar[dict[str, dict[str, Any]]] = {}


class Decomposition(NamedTuple):
    """A batch of images split into K slots (`decompose`), on the [-1, 1] scale the networks see."""

    reconstruction: torch.Tensor  # (B, C, H, W): the masks' mix of the slot images
    images: torch.Tensor  # (B, K, C, H, W): what each slot draws
    masks: torch.Tensor  # (B, K, H, W): each pixel's share per slot, summing to 1 over K


class LogLikelihood(NamedTuple):
    """Per-example log-likelihood in nats, and which quantity it is ("exact", "elbo", "iwae-100", ...)."""

    nats: torch.Tensor  # (B,)
    bound: str


# What a family can do, read from one place. A capability that is a method is derived from whether the family
# implements it (overrides the base's raising default), so it can never disagree with the code; the others
# are properties of the learning problem that no method shows, and a family declares them as class attributes.
IMPLEMENTED_BY: dict[str, tuple[str, ...]] = {
    "can_sample": ("sample",),
    "has_likelihood": ("log_prob",),
    "has_latent": ("encode", "decode"),  # both: decode alone (a GAN's generator) gives no latent of an image
    "can_classify": ("classify",),
    "is_autoregressive": ("walk_conditionals",),  # lossless coding (genlab compress)
    "can_upscale": ("upscale",),  # super-resolution (genlab upscale)
    "has_latent_kl": ("latent_kl",),  # each latent's KL to the prior (genlab traverse orders rows by it)
    "can_decompose": ("decompose",),  # splits images into slots: objects' images and masks (genlab decompose)
    "can_predict": ("predict",),  # predicts a measured property of each example (a molecule's activity)
    "can_speak": ("speak",),  # text to a mel spectrogram (genlab speak)
    "can_vocode": ("vocode",),  # a mel spectrogram to a waveform (a vocoder for genlab speak)
    "can_forecast": ("forecast",),  # continues clips from their first frames (video prediction)
    "can_inpaint": ("inpaint",),  # fills masked pixels of images, keeping the others (genlab inpaint)
}
DECLARED: dict[str, bool] = {  # name -> default
    "has_importance_bound": False,  # log_prob(x, k=K) tightens the bound with K samples (IWAE)
    "semi_supervised": False,  # learns from a training split where some labels are -1 (hidden)
    "needs_labels": False,  # models the labels themselves (classifiers): labelled data, no --conditional
    "can_condition": True,  # accepts --conditional (p(x | label))
    "is_codec": False,  # a lossy codec: rate and distortion instead of a likelihood (genlab compress)
}


class GenerativeModel(nn.Module, ABC):
    """A generative model of one dataset. Subclasses set `name` and `Config`, implement `loss` and whichever
    of sample / log_prob / encode+decode / classify / walk_conditionals they can, and declare the DECLARED
    capabilities that differ from the defaults. `capabilities()` lists them all; each is also an attribute
    of the class and of its instances (`Flow.has_latent`, `model.can_sample`)."""

    name: ClassVar[str]
    Config: ClassVar[type[ModelConfig]] = ModelConfig
    # Derived in __init_subclass__ from the methods a family implements (IMPLEMENTED_BY); never set by hand.
    can_sample: ClassVar[bool] = False
    has_likelihood: ClassVar[bool] = False
    has_latent: ClassVar[bool] = False
    can_classify: ClassVar[bool] = False
    is_autoregressive: ClassVar[bool] = False
    can_upscale: ClassVar[bool] = False
    has_latent_kl: ClassVar[bool] = False
    can_decompose: ClassVar[bool] = False
    can_predict: ClassVar[bool] = False
    can_speak: ClassVar[bool] = False
    can_vocode: ClassVar[bool] = False
    can_forecast: ClassVar[bool] = False
    can_inpaint: ClassVar[bool] = False
    # Declared by the family (DECLARED holds what each means and its default).
    has_importance_bound: ClassVar[bool] = DECLARED["has_importance_bound"]
    semi_supervised: ClassVar[bool] = DECLARED["semi_supervised"]
    needs_labels: ClassVar[bool] = DECLARED["needs_labels"]
    can_condition: ClassVar[bool] = DECLARED["can_condition"]
    is_codec: ClassVar[bool] = DECLARED["is_codec"]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for capability, methods in IMPLEMENTED_BY.items():
            if capability in vars(cls):
                raise TypeError(f"{cls.__name__} sets {capability}, which follows from implementing "
                                f"{' and '.join(methods)}: implement the method(s) instead")
            setattr(cls, capability, all(getattr(cls, m) is not getattr(GenerativeModel, m) for m in methods))

    modalities: ClassVar[tuple[str, ...]] = ("image",)  # the kinds of data (DatasetSpec.modality) it models
    # What a family measures and draws for a capability only it has, as "module:name" targets (its own module
    # may hold them): validators (genlab.validation.base.Validator classes) run after the shared ones chosen by
    # capability, report pictures (modules or objects with applies(model) and draw(run, split)) after the shared
    # kinds. A family with a new capability is then its module, its MODELS line and its test.
    own_validators: ClassVar[tuple[str, ...]] = ()
    own_pictures: ClassVar[tuple[str, ...]] = ()
    # The global batch a run trains with when none is given (training.batch_size), so that the family's defaults
    # train on its own built-in data without flags; capped at the training split (training/batches.py).
    default_batch_size: ClassVar[int] = 64
    context_frames: int = 0  # families that forecast: the frames of a clip they see before predicting the rest

    def __init__(self, spec: DatasetSpec, config: ModelConfig):
        super().__init__()
        if spec.modality not in self.modalities:
            raise UserError(f"Model {self.name} models {' and '.join(self.modalities)} data, and {spec.name} holds "
                            f"{spec.modality}: use a family made for {spec.modality}.")
        if self.needs_labels and config.conditional:
            raise UserError(f"Model {self.name} learns the labels themselves, so it takes no --conditional: drop it.")
        if config.conditional and not self.can_condition:
            raise UserError(f"Model {self.name} has no class-conditional form: drop --conditional.")
        if self.needs_labels and not spec.num_classes:
            raise UserError(f"Dataset {spec.name} has no labels, which model {self.name} learns from: use labelled "
                            "data (class subfolders, or y in an .npz).")
        if config.conditional and not spec.num_classes:
            raise UserError(f"Dataset {spec.name} has no labels, so a conditional model cannot be trained on it: "
                            "drop --conditional or use labelled data (class subfolders, or y in an .npz).")
        self.spec = spec
        self.config = config

    @property
    def is_conditional(self) -> bool:
        """True when the model learns p(x | label); batches then carry "y" and sampling takes labels."""
        return self.config.conditional

    @property
    def num_classes(self) -> int:
        return self.spec.num_classes or 0

    def labels(self, y: torch.Tensor | None) -> torch.Tensor | None:
        """The labels (B,) a conditional model uses, None for an unconditional one (which ignores y)."""
        if not self.is_conditional:
            return None
        if y is None:
            raise ValueError(f"a conditional {self.name} needs labels")
        return y.long()

    def one_hot_labels(self, y: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
        """labels(y) as one-hot rows (B, K), or None for an unconditional model."""
        labels = self.labels(y)
        return None if labels is None else F.one_hot(labels, self.num_classes).to(dtype)

    def initialise(self, train=None) -> None:
        """Called once before a new run's first step (never on resume or when a run is opened), with the
        training Split: a family that starts from another run's weights (srgan from an srresnet) loads them
        here, one that needs statistics of its data (the predictor's target scale) takes them. Default: nothing."""

    def training_examples(self, train):
        """(the examples of the training Split this model learns from, a note saying what it left out and why,
        or None). Default: all of them; the tts leaves out utterances too long for its attention."""
        return train, None

    def example_lengths(self, train) -> np.ndarray | None:
        """Each training example's length (N,), when batches should hold examples of like length (training/
        batches.py: utterances padded to the longest cost their batch's longest), or None for random batches."""
        return None

    def optimizer_groups(self) -> list[dict]:
        """Parameter groups for the trainer's single optimizer; a family may give groups their own
        "lr" (as a multiple via "lr_scale") or "betas", e.g. a GAN's generator and discriminator."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    def forward(self, batch: dict) -> dict:
        """Training goes through forward so DistributedDataParallel sees the call."""
        return self.loss(batch)

    @abstractmethod
    def loss(self, batch: dict) -> dict:
        """{"loss": scalar to minimise, plus named parts (floats or tensors) worth logging}."""

    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n new examples (n, C, H, W) as integer levels; condition: (n,) labels for conditional models."""
        raise NotImplementedError(f"{self.name} does not generate examples")

    def log_prob(self, x: torch.Tensor, condition: torch.Tensor | None = None, **options) -> LogLikelihood:
        """Log-likelihood of discrete data x in nats per example (exact or a stated lower bound)."""
        raise NotImplementedError(f"{self.name} declares no likelihood")

    def walk_conditionals(self, n: int, choose, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Autoregressive families: visit every sub-pixel of n images in order; choose(log_probs (n, levels),
        channel) gives its levels (n,). Returns the images (n, C, H, W)."""
        raise NotImplementedError(f"{self.name} is not autoregressive")

    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Latents (B, D) of images x (B, C, H, W) of integer levels."""
        raise NotImplementedError(f"{self.name} has no latent space")

    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Images (B, C, H, W) of integer levels for latents z (B, D)."""
        raise NotImplementedError(f"{self.name} has no latent space")

    def latent_kl(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """KL(q(z_d | x) || p(z_d)) in nats per example and latent dimension (B, D): which latents carry
        information (a latent whose KL is near 0 everywhere is unused)."""
        raise NotImplementedError(f"{self.name} has no per-latent KL")

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (B, K) for images x (B, C, H, W) of integer levels."""
        raise NotImplementedError(f"{self.name} does not predict labels")

    def upscale(self, low: torch.Tensor) -> torch.Tensor:
        """Low-resolution images (B, C, h, w) on [-1, 1] -> (B, C, s*h, s*w) on the same scale (s = self.scale)."""
        raise NotImplementedError(f"{self.name} does not upscale images")

    def decompose(self, x: torch.Tensor, slots: int | None = None) -> Decomposition:
        """Images x (B, C, H, W) of levels split into slots (`slots` of them, or the model's own number): the
        reconstruction, each slot's image and masks that share out every pixel (a `Decomposition`)."""
        raise NotImplementedError(f"{self.name} does not decompose images into objects")

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted value (B,) of the dataset's measured property for examples x."""
        raise NotImplementedError(f"{self.name} does not predict properties")

    def speak(self, text: torch.Tensor, speed: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel spectrograms (B, mels, frames) of symbol ids (B, X) (0 padding), and each one's frames (B,)."""
        raise NotImplementedError(f"{self.name} does not speak")

    def vocode(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Waveforms (B, S) in [-1, 1] from log-mel spectrograms (B, mels, frames)."""
        raise NotImplementedError(f"{self.name} is no vocoder")

    def forecast(self, context: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        """The next `frames` frames (B, frames, C, H, W) of levels after clips' first frames `context`
        (B, T, C, H, W) of levels; None: as many as the model was trained to predict."""
        raise NotImplementedError(f"{self.name} does not continue clips")

    def inpaint(self, x: torch.Tensor, mask: torch.Tensor, condition: torch.Tensor | None = None,
                **options) -> torch.Tensor:
        """Images x (B, C, H, W) of levels with the pixels where mask (B, H, W) is True filled anew by the model
        and every other pixel exactly as it was."""
        raise NotImplementedError(f"{self.name} does not inpaint")

    def capabilities(self) -> dict[str, bool]:
        """Everything this run can do: the derived and declared capabilities, and whether it is conditional."""
        names = [*IMPLEMENTED_BY, *DECLARED]
        return {name: bool(getattr(self, name)) for name in names} | {"is_conditional": self.is_conditional}

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """An older checkpoint's tensors under the names this version of the family uses. The weight loader
        calls it on the model's tensors and, separately, on the EMA copies with their "ema." prefix
        stripped; a family whose module layout changed maps the old names here. Default: unchanged."""
        return state

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def to_unit_range(x: torch.Tensor, levels: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Integer levels 0..levels-1 (any shape) -> floats in [-1, 1], the scale networks see; level i sits at
    i * 2 / (levels - 1) - 1, so one level is 2 / (levels - 1) wide."""
    return x.to(dtype) * (2.0 / (levels - 1)) - 1.0


def from_unit_range(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Floats on the [-1, 1] scale (any shape) -> the nearest integer level 0..levels-1 (long), values
    outside the range taken to its ends: the inverse of `to_unit_range` on the level grid."""
    return ((x.clamp(-1, 1) + 1) * (levels - 1) / 2).round().long()
