"""Typed contents of a run folder's JSON files: what config.json says about the run, and the envelope of
evaluation.json. Each evaluator's own result type lives beside it in genlab/evaluation/; the envelope keeps
those results by evaluator name, so a new evaluator adds no field here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from genlab.config import RunConfig
from genlab.data.spec import DatasetSpec


class ModelInfo(BaseModel):
    name: str
    parameters: int
    capabilities: dict[str, bool] = {}


class RunInfo(BaseModel):
    """config.json: the resolved config, the dataset's spec, the model, and how the run was made."""

    model_config = ConfigDict(extra="ignore")
    format: int = 1  # folders written before the format was recorded are version 1
    config: RunConfig
    dataset: dict[str, Any]
    model: ModelInfo
    world_size: int = 1
    created_by: str = "train"
    versions: dict[str, str] = {}

    @property
    def spec(self) -> DatasetSpec:
        return DatasetSpec.from_dict(self.dataset)


class EvaluationRecord(BaseModel):
    """evaluation.json: which run, step and split were measured, and each evaluator's result by name."""

    format: int
    run: str
    step: int
    split: str
    examples: int
    dims: int
    model: str
    results: dict[str, dict[str, Any]]
