"""The JSON bodies the studio's API takes, checked by pydantic before a route runs (a wrong one is a 400 naming
the field: server.py's handler). SampleRequest has a field for each sampler option declared in
models/sampler_options.py, so a new option reaches the API without a change here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model

from genlab.config import Seed
from genlab.models.sampler_options import SAMPLER, taken_by
from genlab.options import Option

MAX_SAMPLES = 64


def _sampler_field(option: Option) -> tuple:
    """A sampler option (models/sampler_options.py) as a request field: unset (None: the family's default) or a
    value within its declared bounds, the studio's upper bound included."""
    kind = Literal[option.choices] if option.choices else option.type  # type: ignore[valid-type]
    return kind | None, Field(None, ge=option.minimum, gt=option.above, le=option.most)


class _Request(BaseModel):
    run: str
    n: int = Field(16, ge=1, le=MAX_SAMPLES)
    seed: Seed = 0
    label: int | None = Field(None, ge=0)  # a conditional run: every sample of this class (None: each class)

    def options(self, model) -> dict:
        """The sampler's options this run takes and the request sets; the others (a VAE has no steps) are left
        out, as unset ones are."""
        return {key: getattr(self, key) for key in taken_by(model.sample) if getattr(self, key) is not None}


SampleRequest = create_model("SampleRequest", __base__=_Request,
                             **{name: _sampler_field(option) for name, option in SAMPLER.items()})


class UploadRequest(BaseModel):
    run: str
    upload: str


class SpeakRequest(BaseModel):
    run: str
    text: str = Field(..., max_length=2000)
    speed: float = Field(1.0, gt=0)


class WalkRequest(BaseModel):
    run: str
    seed: Seed = 0
    steps: int = Field(9, ge=2, le=33)
    uploads: list[str] | None = Field(None, min_length=2, max_length=2)  # walk between these two uploads instead
