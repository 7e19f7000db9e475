"""`genlab design`: candidate molecules for a wanted property, found in a smiles-vae's latent space.

The search starts from training molecules: `start` of them are encoded (their posterior means) and
decoded. Then each of `rounds` rounds proposes `batch` codes by Bayesian optimisation (apps/latent_search.py)
and decodes them greedily. A decoded molecule counts when RDKit reads it and its synthetic accessibility
(Ertl's SA score, 1 easy to 10 hard) is at most `max_sa`; it is scored by the objective:

- `qed`: drug-likeness (Bickerton et al. 2012, 0 to 1);
- `logp`: Crippen's octanol-water partition coefficient;
- `predicted:RUN`: a predictor run's predicted response (genlab train --model predictor), for molecules
  written in tokens it knows.

Every distinct molecule that counts is a candidate; the best `n` are written ranked to a CSV with their
properties, whether they are novel (not among the run's training molecules) and the round that found
them, with a picture of the top ones. The best of the encoded training molecules themselves is reported
beside them: the search is worth something where it beats what the data already held.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.apps.latent_search import propose
from genlab.data.chemistry import canonical, require
from genlab.data.molecule_encoding import molecule_tokens, smiles_of
from genlab.data.smiles_tokens import Vocabulary
from genlab.config import check_seed
from genlab.errors import UserError
from genlab.files import atomic_write, output_path
from genlab.media.molecules import molecule_grid
from genlab.evaluation.molecules import training_molecules
from genlab.metrics.molecules import properties
from genlab.models.batched import decoded, encoded, predictions
from genlab.models.loading import Run, load_named_run
from genlab.runs import RunFolder

OBJECTIVES = ("qed", "logp", "predicted:RUN")
PROPERTY_COLUMNS = ("qed", "logp")  # objectives that are also columns of every candidate
PICTURED = 12  # the top candidates drawn


@dataclass
class Candidate:
    smiles: str  # canonical
    score: float
    qed: float
    logp: float
    sa: float
    novel: bool
    round: int  # 0: decoded from a training molecule's code


@dataclass
class DesignResult:
    objective: str
    candidates: list[Candidate]  # ranked, best first
    decoded: int  # codes decoded in all
    valid: int  # of them RDKit read
    counted: int  # of them within the SA limit (and scorable)
    start_best: float  # the best score among the encoded training molecules themselves (NaN: none counted)
    written: list[Path] = field(default_factory=list)


def objective_function(objective: str, device: str = "cpu") -> Callable[[list[str], dict], np.ndarray]:
    """score(canonical SMILES, their properties) -> (N,) scores (NaN: cannot be scored) for `objective`."""
    if objective == "qed":
        return lambda smiles, props: props["QED"]
    if objective == "logp":
        return lambda smiles, props: props["logP"]
    if objective.startswith("predicted:"):
        path = objective.split(":", 1)[1]
        if not RunFolder(path).holds_run():  # named here: load_named_run would write SETTING=PATH
            raise UserError(f"--objective {objective} names no run at {path!r}: train a predictor first (genlab train "
                            "--model predictor --data chembl-assay) and pass --objective predicted:ITS_FOLDER.")
        predictor = load_named_run("--objective predicted", path, "train a predictor first (genlab train --model "
                                   "predictor --data chembl-assay)", device=device)
        if not predictor.model.can_predict:
            raise UserError(f"--objective {objective}: {path} is a {predictor.model.name} run, not a predictor; train "
                            "one with genlab train --model predictor --data chembl-assay.")
        return lambda smiles, props: _predicted(predictor, smiles)
    raise UserError(f"--objective {objective} is not an objective: use one of {', '.join(OBJECTIVES)}.")


def _predicted(predictor: Run, smiles: list[str]) -> np.ndarray:
    """The predictor's response for each molecule it can read (its tokens, its length); NaN for the others."""
    tokens = [molecule_tokens(predictor.spec, s) for s in smiles]
    rows = [i for i, t in enumerate(tokens) if not isinstance(t, str)]
    out = np.full(len(smiles), np.nan)
    if rows:
        ids = Vocabulary(predictor.spec.vocabulary).encode([tokens[i] for i in rows], predictor.spec.shape[0])
        out[rows] = predictions(predictor.model, ids)
    return out


def _check(run: Run, n: int, rounds: int, batch: int, start: int, max_sa: float) -> None:
    if run.spec.modality != "tokens" or not run.model.has_latent:
        raise UserError(f"{run.folder.path} is a {run.model.name} run on {run.spec.modality} data: design searches a "
                        "molecule model's latent space, so give it a smiles-vae run.")
    for option, value, example in (("-n", n, 100), ("--batch", batch, 25), ("--start", start, 100)):
        if value < 1:
            raise UserError(f"{option} {value} must be at least 1: pass {option} {example}, for example.")
    if rounds < 0:
        raise UserError(f"--rounds {rounds} cannot be negative: pass --rounds 10, for example.")
    if not 1 <= max_sa <= 10:
        raise UserError(f"--max-sa {max_sa:g} is outside the SA score's range 1 (easy) to 10 (hard): pass --max-sa 4.5.")


def _csv(candidates: list[Candidate], objective: str) -> bytes:
    """The ranked candidates as CSV; the score gets a column of its own only when it is not one of the properties
    (qed, logp) already written, so no column name appears twice."""
    buf = io.StringIO()
    rows = csv.writer(buf, lineterminator="\n")
    score = [objective] if objective not in PROPERTY_COLUMNS else []
    rows.writerow(["rank", "smiles", *score, *PROPERTY_COLUMNS, "sa", "novel", "round"])
    for rank, c in enumerate(candidates, 1):
        rows.writerow([rank, c.smiles, *([f"{c.score:.4f}"] if score else []), f"{c.qed:.4f}", f"{c.logp:.4f}",
                       f"{c.sa:.4f}", int(c.novel), c.round])
    return buf.getvalue().encode()


def design(run: Run, objective: str, output: Path | str, *, n: int = 100, rounds: int = 10, batch: int = 25,
           start: int = 100, max_sa: float = 4.5, seed: int = 0,
           progress: Callable[[int, int], None] | None = None) -> DesignResult:
    """Search run's latent space for molecules scoring high on `objective` and write the best n to
    `output` (.csv) and the top ones' picture beside it (.png); see the module's docstring. When no decoded
    molecule counts, nothing is written and the result has no candidates."""
    output = output_path(output, (".csv",), "the candidates' table")
    _check(run, n, rounds, batch, start, max_sa)
    require("rdkit")
    score = objective_function(objective, str(run.device))
    train = run.dataset().train
    known = set(training_molecules(run.spec, train.x))  # canonical, for novelty (kept in $GENLAB_CACHE)
    rng = np.random.default_rng(check_seed(seed))
    rows = rng.permutation(len(train))[:start]
    found: dict[str, Candidate] = {}
    counts = {"decoded": 0, "valid": 0, "counted": 0}

    def scored(smiles: list[str], found_in: int | None) -> np.ndarray:
        """Scores (N,) of SMILES (NaN: invalid, over the SA limit or unscorable); candidates noted when found_in
        is a round."""
        canon = [canonical(s) for s in smiles]
        valid = [i for i, c in enumerate(canon) if c is not None]
        out = np.full(len(smiles), np.nan)
        if valid:
            props = properties([canon[i] for i in valid])
            values = score([canon[i] for i in valid], props)
            for j, i in enumerate(valid):
                if props["SA"][j] <= max_sa and np.isfinite(values[j]):
                    out[i] = values[j]
                    if found_in is not None and canon[i] not in found:
                        found[canon[i]] = Candidate(canon[i], float(values[j]), float(props["QED"][j]),
                                                    float(props["logP"][j]), float(props["SA"][j]),
                                                    canon[i] not in known, found_in)
        if found_in is not None:
            counts["decoded"] += len(smiles)
            counts["valid"] += len(valid)
            counts["counted"] += int(np.isfinite(out).sum())
        return out

    start_scores = scored(smiles_of(run.spec, train.x[rows]), None)
    codes = encoded(run.model, train.x[rows])  # (S, Z)
    values = scored(smiles_of(run.spec, decoded(run.model, codes)), 0)
    for r in range(1, rounds + 1):
        if progress is not None:
            progress(r - 1, rounds)
        proposed = propose(codes, values, batch, rng)  # (batch, Z)
        codes = np.concatenate([codes, proposed])
        values = np.concatenate([values, scored(smiles_of(run.spec, decoded(run.model, proposed)), r)])
    if progress is not None:
        progress(rounds, rounds)
    ranked = sorted(found.values(), key=lambda c: (-c.score, c.smiles))[:n]
    best_start = float(np.nanmax(start_scores)) if np.isfinite(start_scores).any() else float("nan")
    result = DesignResult(objective, ranked, counts["decoded"], counts["valid"], counts["counted"], best_start)
    if ranked:  # nothing is written when no molecule counted
        picture, top = output.with_suffix(".png"), ranked[:PICTURED]
        atomic_write(output, _csv(ranked, objective))
        atomic_write(picture, molecule_grid([c.smiles for c in top], [f"#{i} {objective.split(':')[0]} {c.score:.3f}"
                                                                       for i, c in enumerate(top, 1)], nrow=4))
        result.written = [output, picture]
    return result
