"""Model families by name. A family registers itself by being listed here."""

from __future__ import annotations

from typing import Any

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel
from genlab.models.vae import VAE

MODELS: dict[str, type[GenerativeModel]] = {cls.name: cls for cls in (VAE,)}


def model_class(name: str) -> type[GenerativeModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise UserError(f"Unknown model '{name}': use one of {', '.join(sorted(MODELS))}.") from None


def build_model(name: str, spec: DatasetSpec, options: dict[str, Any]) -> GenerativeModel:
    """Instantiate a family with validated options (unknown or ill-typed options are a UserError)."""
    cls = model_class(name)
    from pydantic import ValidationError

    try:
        config = cls.Config(**options)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        raise UserError(f"Model option '{where}' for {name}: {first['msg']}.") from None
    return cls(spec, config)
