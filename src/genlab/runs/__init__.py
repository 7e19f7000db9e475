"""The run folder: the one artefact training writes and everything else reads (see folder.py)."""

from genlab.runs.folder import FORMAT_VERSION, RunFolder
from genlab.runs.schema import EvaluationRecord, ModelInfo, RunInfo

__all__ = ["FORMAT_VERSION", "EvaluationRecord", "ModelInfo", "RunFolder", "RunInfo"]
