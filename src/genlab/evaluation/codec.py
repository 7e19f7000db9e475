"""A lossy codec's held-out rate and distortion, from real payloads: every image coded and decoded."""

from __future__ import annotations

from genlab.coding.lossy import evaluate_split
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section


class CodecResult(Result):
    bits_per_dim: float
    psnr: float
    ms_ssim: float
    rd_lambda: float
    note: str

    def headline(self) -> tuple[str, float] | None:
        return "PSNR dB", self.psnr

    def section(self, header: EvaluationRecord) -> Section:
        return Section("Lossy coding", [f"Codec (lambda {self.rd_lambda:g}) on the {header.split} split: "
                                        f"{self.bits_per_dim:.4f} bits/dim coded, PSNR {self.psnr:.2f} dB, "
                                        f"MS-SSIM {self.ms_ssim:.4f} ({self.note})."])


class CodecRateDistortion(Evaluator):
    name = "codec"
    Result = CodecResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.is_codec

    def evaluate(self, context: Context) -> CodecResult:
        return CodecResult(**evaluate_split(context.run.model, context.held_out.x))
