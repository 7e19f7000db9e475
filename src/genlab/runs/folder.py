"""The run folder as one object: the only code that knows its file names and its format version.

    config.json         RunInfo: resolved config, dataset spec, model, versions, format version
    model.safetensors   weights (and EMA weights under "ema.")
    state.safetensors   optimizer, step and RNG state, for exact resume
    metrics.jsonl       one JSON object per logged step or evaluation
    samples/            the trainer's previews, one per evaluation
    evaluation.json     EvaluationRecord, written by `genlab evaluate`
    report.md, report/  the report and its pictures

Every file is written whole or not at all (genlab/files.py); nothing is unpickled on the way in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from genlab.errors import UserError
from genlab.files import read_json, write_json
from genlab.runs.schema import EvaluationRecord, RunInfo

# 1: folders written before the version was recorded; 2: config.json carries "format", the VAE's decoder
# weights sit under "decoder.", evaluation.json keeps results by evaluator.
FORMAT_VERSION = 2


class RunFolder:
    CONFIG = "config.json"
    MODEL = "model.safetensors"
    STATE = "state.safetensors"
    METRICS = "metrics.jsonl"
    EVALUATION = "evaluation.json"
    REPORT = "report.md"
    NOVELTY = "novelty.png"

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # --- paths ------------------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.path / self.CONFIG

    @property
    def model(self) -> Path:
        return self.path / self.MODEL

    @property
    def state(self) -> Path:
        return self.path / self.STATE

    @property
    def metrics(self) -> Path:
        return self.path / self.METRICS

    @property
    def evaluation(self) -> Path:
        return self.path / self.EVALUATION

    @property
    def report(self) -> Path:
        return self.path / self.REPORT

    @property
    def novelty(self) -> Path:
        """The most copy-like samples beside their nearest training examples (written by evaluation)."""
        return self.path / self.NOVELTY

    @property
    def pictures(self) -> Path:
        """Where the report's pictures go."""
        return self.path / "report"

    def preview(self, step: int) -> Path:
        """The trainer's preview at `step`, without a suffix: the modality's writer adds it (.png, ...)."""
        return self.path / "samples" / f"step_{step:07d}"

    # --- state ------------------------------------------------------------------------------------
    def holds_run(self) -> bool:
        return self.config.is_file()

    def has_weights(self) -> bool:
        return self.model.is_file()

    # --- config.json ------------------------------------------------------------------------------
    def read_info(self) -> RunInfo:
        """config.json, checked: a folder of a newer genlab is refused, a damaged one named."""
        if not self.path.is_dir():
            raise UserError(f"Run folder {self.path} does not exist: train one with `genlab train --out {self.path}`.")
        raw = read_json(self.config)
        version = raw.get("format", 1) if isinstance(raw, dict) else None
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise UserError(f"{self.config} has run-folder format {version}, newer than this genlab reads "
                            f"({FORMAT_VERSION}): upgrade genlab to open it.")
        try:
            return RunInfo.model_validate(raw)
        except ValidationError:
            raise UserError(f"{self.config} is not a genlab run config: the run folder is damaged.") from None

    def write_info(self, info: RunInfo) -> None:
        write_json(self.config, info.model_dump(mode="json"))

    # --- evaluation.json --------------------------------------------------------------------------
    def read_evaluation(self) -> EvaluationRecord | None:
        """The saved evaluation, or None when there is none in the current format (evaluate again)."""
        if not self.evaluation.is_file():
            return None
        try:
            return EvaluationRecord.model_validate(read_json(self.evaluation))
        except (ValidationError, UserError):
            return None

    def write_evaluation(self, record: EvaluationRecord) -> None:
        write_json(self.evaluation, record.model_dump(mode="json"))
