"""Test-split likelihood in bits/dim (each bound named), beside what the same examples cost as ordinary
lossless files — the anchors every bits/dim is read against (images: PNG, WebP-lossless, JPEG 2000, xz)."""

from __future__ import annotations

from pydantic import BaseModel

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.metrics.baselines import lossless_baselines
from genlab.models.batched import log_likelihood
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table, cell
from genlab.units import bits_per_dim, nats_per_example

ANCHOR_LABELS = {"png": "PNG, one file per image", "webp_lossless": "WebP-lossless, one file per image",
                 "jpeg2000_lossless": "JPEG 2000-lossless, one file per image",
                 "xz_blob": "xz (lzma), all test images in one blob"}
ANCHOR_EXAMPLES = 1000  # the file rows store at most this many test images (WebP takes 6 ms an image)
BOUND_NOTE = ("negative log-likelihood of the discrete test examples; a bound (elbo, iwae-k, vlb) is an upper "
              "bound on the true bits/dim, 'exact' is exact")


class Estimate(BaseModel):
    nats_per_example: float
    bits_per_dim: float


class LikelihoodResult(Result):
    bits_per_dim: float | None  # the best estimate; None when the model declares no likelihood
    bound: str | None
    nats_per_example: float | None = None
    estimates: dict[str, Estimate] = {}
    anchors: dict[str, float] = {}  # bits/dim of the same examples as classical lossless files
    anchor_examples: int | None = None  # how many of them the file rows stored (None: all)
    note: str = BOUND_NOTE
    unit: str = "dim"  # what bits_per_dim is counted per: "dim", or "token" for token sequences

    def rows(self, model: str, dims: int) -> list[tuple[str, float | None, float | None]]:
        """(label, bits/dim, nats/example) of every estimate, then the anchors."""
        rows = [(f"{model} ({bound})", e.bits_per_dim, e.nats_per_example) for bound, e in self.estimates.items()]
        if self.bits_per_dim is None:
            rows.append((f"{model} (no likelihood)", None, None))
        return rows + [(ANCHOR_LABELS.get(fmt, fmt), bpd, nats_per_example(bpd, dims)) for fmt, bpd in self.anchors.items()]

    def headline(self) -> tuple[str, float] | None:
        return None if self.bits_per_dim is None else (f"bits/{self.unit}", self.bits_per_dim)

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, cell(bpd, ".3f"), cell(nats, ".1f")) for label, bpd, nats in self.rows(header.model, header.dims)]
        per = f"bits/{self.unit}"
        return Section(
            f"How good: {header.split}-split {per}",
            ["Lower is better. The model's figure is the negative log-likelihood of the discrete examples "
             f"(a bound is named as such: ELBO and IWAE-k are upper bounds on the true {per})"
             + (("; the file rows store each test image on its own"
                 + (f" (the first {self.anchor_examples:,})." if self.anchor_examples else "."))
                if self.anchors else ".")],
            [Table(("model / file format", per, "nats/image" if self.unit == "dim" else "nats/sequence"), rows,
                   title=f"{header.split} split: {header.examples} examples, "
                         + (f"{header.dims} dims each" if self.unit == "dim" else f"up to {header.dims - 2} tokens each"))])


class Likelihood(Evaluator):
    name = "likelihood"
    Result = LikelihoodResult

    def applies(self, run: Run, options: Options) -> bool:
        # the file formats' bits/dim anchor density models and codecs, not upscalers or decomposers
        return run.model.has_likelihood or (run.spec.modality == "image" and not run.model.can_upscale
                                            and not run.model.can_decompose)

    def evaluate(self, context: Context) -> LikelihoodResult:
        spec = context.run.spec
        model, held_out, dims = context.run.model, context.held_out, spec.units_per_example(context.held_out.x)
        stored = held_out.x[:ANCHOR_EXAMPLES]
        anchors = lossless_baselines(stored, context.run.spec.levels) if context.run.spec.modality == "image" else {}
        anchor_examples = len(stored) if len(stored) < len(held_out.x) else None
        if not model.has_likelihood:
            return LikelihoodResult(bits_per_dim=None, bound=None, anchors=anchors, anchor_examples=anchor_examples,
                                    note=f"{model.name} declares no likelihood")
        seed, k = context.options.seed, context.options.iwae_k
        estimates = {}
        nats, bound = log_likelihood(model, held_out.x, held_out.y, seed=seed)
        estimates[bound] = -nats.mean()
        if model.has_importance_bound and k > 1:
            nats, bound = log_likelihood(model, held_out.x, held_out.y, seed=seed, k=k, batch_size=max(1, 2000 // k))
            estimates[bound] = -nats.mean()
        best = min(estimates, key=estimates.get)
        return LikelihoodResult(
            bits_per_dim=float(bits_per_dim(estimates[best], dims)), bound=best, unit=spec.unit,
            nats_per_example=float(estimates[best]), anchors=anchors, anchor_examples=anchor_examples,
            estimates={b: Estimate(nats_per_example=float(v), bits_per_dim=float(bits_per_dim(v, dims)))
                       for b, v in estimates.items()})
