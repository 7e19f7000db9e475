"""The five disentanglement metrics, as pure functions of representations and ground-truth factors.

Each takes a *pool* of examples for fitting (codes (N, D) float, factors (N, K) integer indices) and one for
scoring, drawn apart (genlab: the training and the test split), and follows disentanglement_lib
(Locatello et al. 2019) in procedure and default sample sizes, which the docstrings state. Where that
library renders fresh images for a chosen factor combination, these functions draw from the pool instead:
a row whose factor k has value v is a draw from the data conditioned on factor k = v, the other factors as
the data has them, which is what both score-based metrics ask for.

- `beta_vae_score`  Higgins et al. 2017: a linear classifier names the fixed factor from mean |z1 - z2| of pairs.
- `factor_vae_score` Kim & Mnih 2018: a majority vote names the fixed factor from the least-varying latent.
- `mig`              Chen et al. 2018: the gap between the two latents most informative about each factor.
- `dci`              Eastwood & Williams 2018: gradient-boosted-tree importances; disentanglement, completeness,
                     informativeness.
- `sap`              Kumar et al. 2018: the gap between the two latents that best predict each factor alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pool:
    """Representations (N, D) and the factor indices (N, K) of the same N examples."""

    codes: np.ndarray
    factors: np.ndarray

    def __post_init__(self) -> None:
        if len(self.codes) != len(self.factors):
            raise ValueError(f"{len(self.codes)} codes for {len(self.factors)} factor rows")

    def first(self, n: int) -> Pool:
        return Pool(self.codes[:n], self.factors[:n])


def varied_factors(factors: np.ndarray) -> np.ndarray:
    """Indices of the factors that take more than one value in `factors` (N, K). A factor fixed in the pool
    carries no information to find: MIG, DCI and SAP leave it out (its entropy is 0, and a classifier
    cannot be fitted to one class)."""
    return np.flatnonzero([len(np.unique(column)) > 1 for column in factors.T])


class _ByValue:
    """Rows of a pool grouped by the value of each factor, to draw rows with factor k fixed to v."""

    def __init__(self, factors: np.ndarray):
        self.order = [np.argsort(column, kind="stable") for column in factors.T]  # per factor, rows by value
        self.factors = factors
        self.starts, self.counts = [], []
        for k, column in enumerate(factors.T):
            values, starts, counts = np.unique(column[self.order[k]], return_index=True, return_counts=True)
            start, count = np.zeros(column.max() + 1, np.int64), np.zeros(column.max() + 1, np.int64)
            start[values], count[values] = starts, counts
            self.starts.append(start)
            self.counts.append(count)

    def draw(self, k: int, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each entry of `values` (any shape), a random row whose factor k has that value."""
        offsets = np.floor(rng.random(values.shape) * self.counts[k][values]).astype(np.int64)
        return self.order[k][self.starts[k][values] + offsets]


def _beta_vae_points(pool: Pool, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n (feature, factor) points: factor k at random; batch_size pairs sharing factor k's value; the
    feature is the mean over pairs of |z1 - z2| (D,)."""
    groups = _ByValue(pool.factors)  # once per pool
    ks = rng.integers(pool.factors.shape[1], size=n)  # (n,)
    features = np.empty((n, pool.codes.shape[1]))
    for k in np.unique(ks):
        where = np.flatnonzero(ks == k)
        first = rng.integers(len(pool.codes), size=(len(where), batch_size))  # (m, batch) rows
        second = groups.draw(k, pool.factors[first, k], rng)  # (m, batch) rows with the same factor k
        features[where] = np.abs(pool.codes[first] - pool.codes[second]).mean(axis=1)
    return features, ks


def beta_vae_score(fit: Pool, score: Pool, *, seed: int = 0, batch_size: int = 64, num_train: int = 10_000,
                   num_eval: int = 5_000) -> float:
    """BetaVAE score (Higgins et al. 2017): accuracy of scikit-learn's default LogisticRegression at naming
    which factor a batch of pairs shared, from the mean absolute difference of their codes; 1 means each
    factor moves its own latents. disentanglement_lib defaults: batch_size 64, num_train 10,000, num_eval
    5,000. Returns the eval accuracy."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x_train, y_train = _beta_vae_points(fit, num_train, batch_size, rng)
    x_eval, y_eval = _beta_vae_points(score, num_eval, batch_size, rng)
    model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    return float(model.score(x_eval, y_eval))


def _factor_vae_votes(pool: Pool, n: int, batch_size: int, scale: np.ndarray, active: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Votes (D_active, K): for n batches with factor k fixed, which active latent (codes divided by their
    global std) varied least."""
    groups = _ByValue(pool.factors)
    votes = np.zeros((int(active.sum()), pool.factors.shape[1]), np.int64)
    ks = rng.integers(pool.factors.shape[1], size=n)
    for k in np.unique(ks):
        where = np.flatnonzero(ks == k)
        values = pool.factors[rng.integers(len(pool.codes), size=len(where)), k]  # (m,) the fixed values
        rows = groups.draw(k, np.repeat(values[:, None], batch_size, axis=1), rng)  # (m, batch)
        codes = pool.codes[rows][:, :, active] / scale[active]  # (m, batch, D_active)
        least = np.argmin(codes.var(axis=1, ddof=1), axis=1)  # (m,)
        np.add.at(votes, (least, k), 1)
    return votes


def factor_vae_score(fit: Pool, score: Pool, *, seed: int = 0, batch_size: int = 64, num_train: int = 10_000,
                     num_eval: int = 5_000, num_variance_estimate: int = 10_000, prune_threshold: float = 0.05) -> float:
    """FactorVAE score (Kim & Mnih 2018): codes are divided by their std over num_variance_estimate points,
    latents whose std is below prune_threshold dropped (collapsed latents would otherwise win every vote
    by barely moving); for each batch of batch_size points sharing one factor's value, the
    latent of least variance votes for that factor; each latent is assigned its majority factor and the
    score is the share of eval votes that assignment gets right. disentanglement_lib's study settings:
    batch_size 64, num_train 10,000, num_eval 5,000, num_variance_estimate 10,000, prune threshold 0.05.
    0 when every latent is pruned."""
    rng = np.random.default_rng(seed)
    estimate = fit.codes[rng.permutation(len(fit.codes))[:num_variance_estimate]]
    variance = estimate.var(axis=0, ddof=1)  # (D,)
    active = np.sqrt(variance) >= prune_threshold
    if not active.any():
        return 0.0
    scale = np.sqrt(np.where(active, variance, 1.0))
    train_votes = _factor_vae_votes(fit, num_train, batch_size, scale, active, rng)
    eval_votes = _factor_vae_votes(score, num_eval, batch_size, scale, active, rng)
    assigned = np.argmax(train_votes, axis=1)  # (D_active,) each latent's factor
    return float(eval_votes[np.arange(len(assigned)), assigned].sum() / eval_votes.sum())


def discretise(codes: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Each column of codes (N, D) binned into num_bins equal-width bins over its own range (N, D) int, as
    disentanglement_lib's histogram discretiser (np.histogram edges, np.digitize)."""
    out = np.zeros(codes.shape, np.int64)
    for d in range(codes.shape[1]):
        out[:, d] = np.digitize(codes[:, d], np.histogram(codes[:, d], num_bins)[1][:-1])
    return out


def mutual_information(codes_binned: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """I(z_d; v_k) in nats for every binned latent d and factor k: (D, K), scikit-learn's mutual_info_score."""
    from sklearn.metrics import mutual_info_score

    return np.array([[mutual_info_score(factors[:, k], codes_binned[:, d]) for k in range(factors.shape[1])]
                     for d in range(codes_binned.shape[1])])


def factor_information(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Each latent's share of each factor's entropy, I(z_d; v_k) / H(v_k) for codes (N, D) binned as MIG bins
    them and factor indices (N, K): (D, K) on [0, 1], 0 for a factor with one value. A latent that follows one
    factor alone has one large entry in its row: the map says which factor each latent carries."""
    from sklearn.metrics import mutual_info_score

    info = mutual_information(discretise(codes, num_bins), factors)  # (D, K) nats
    entropy = np.array([mutual_info_score(column, column) for column in factors.T])  # (K,)
    return np.divide(info, entropy, out=np.zeros_like(info), where=entropy > 0)


def mig(fit: Pool, *, num_train: int = 10_000, num_bins: int = 20) -> float:
    """Mutual information gap (Chen et al. 2018): per factor, (I of its most informative latent - I of the
    second) / H(factor), averaged over factors; latents binned in num_bins equal-width bins. The
    discretisation caps it below 1 even for the factors themselves when a factor has more values than bins
    (dSprites' 40 orientations and 32 positions in 20 bins). disentanglement_lib defaults: num_train 10,000,
    20 bins. Needs at least two latents; factors with one value are left out (`varied_factors`)."""
    from sklearn.metrics import mutual_info_score

    pool = fit.first(num_train)
    if pool.codes.shape[1] < 2:
        raise ValueError("MIG needs at least two latents")
    factors = pool.factors[:, varied_factors(pool.factors)]
    if factors.shape[1] == 0:
        return 0.0
    info = np.sort(mutual_information(discretise(pool.codes, num_bins), factors), axis=0)  # (D, K) ascending
    entropy = np.array([mutual_info_score(column, column) for column in factors.T])  # (K,) H(v_k) = I(v_k; v_k)
    return float(np.mean((info[-1] - info[-2]) / entropy))


def _normalised_entropy(p: np.ndarray, axis: int) -> np.ndarray:
    """Entropy of each slice along `axis` of a non-negative matrix, normalised to sum 1, in base = its length."""
    p = p + 1e-11
    p = p / p.sum(axis=axis, keepdims=True)
    return -(p * np.log(p)).sum(axis=axis) / np.log(p.shape[axis])


def dci(fit: Pool, score: Pool, *, num_train: int = 10_000, num_test: int = 5_000, seed: int = 0) -> dict[str, float]:
    """DCI (Eastwood & Williams 2018) with scikit-learn's GradientBoostingClassifier at its defaults, one per
    factor, as disentanglement_lib: the importance matrix R (D, K) holds each tree ensemble's feature
    importances. Disentanglement = sum_d rho_d (1 - H_K(R_d.)), rho_d = latent d's share of all importance;
    completeness = sum_k rho_k (1 - H_D(R_.k)); informativeness = mean test accuracy over factors.
    disentanglement_lib defaults: num_train 10,000, num_test 5,000. Factors with one value are left out."""
    from sklearn.ensemble import GradientBoostingClassifier

    train, test = fit.first(num_train), score.first(num_test)
    kept = varied_factors(train.factors)
    train, test = Pool(train.codes, train.factors[:, kept]), Pool(test.codes, test.factors[:, kept])
    k_factors = len(kept)
    if k_factors == 0:
        return {"disentanglement": 0.0, "completeness": 0.0, "informativeness": 0.0}
    importance = np.zeros((train.codes.shape[1], k_factors))
    accuracy = np.zeros(k_factors)
    for k in range(k_factors):
        model = GradientBoostingClassifier(random_state=seed).fit(train.codes, train.factors[:, k])
        importance[:, k] = np.abs(model.feature_importances_)
        accuracy[k] = model.score(test.codes, test.factors[:, k])
    total = importance.sum()
    if total == 0:  # constant codes: no tree ever splits
        return {"disentanglement": 0.0, "completeness": 0.0, "informativeness": float(accuracy.mean())}
    # one factor (or one latent) leaves nothing to spread over: each latent (factor) is as pure as it can be
    d = float(np.sum((1 - _normalised_entropy(importance, axis=1)) * importance.sum(1) / total)) \
        if k_factors > 1 else 1.0
    c = float(np.sum((1 - _normalised_entropy(importance, axis=0)) * importance.sum(0) / total)) \
        if importance.shape[0] > 1 else 1.0
    return {"disentanglement": d, "completeness": c, "informativeness": float(accuracy.mean())}


def sap(fit: Pool, score: Pool, *, num_train: int = 10_000, num_test: int = 5_000) -> float:
    """Separated attribute predictability (Kumar et al. 2018), discrete factors as disentanglement_lib: for
    each latent d and factor k, the test accuracy of LinearSVC(C=0.01, class_weight="balanced") predicting
    factor k from latent d alone; SAP = mean over factors of the gap between the best and second-best
    latent. A one-feature linear classifier separates few of 32 or 40 ordered classes, so even the factors
    themselves score far below 1 on dSprites. disentanglement_lib defaults: num_train 10,000, num_test 5,000.
    Factors with one value are left out."""
    from sklearn.svm import LinearSVC

    train, test = fit.first(num_train), score.first(num_test)
    kept = varied_factors(train.factors)
    if len(kept) == 0:
        return 0.0
    d_latents = train.codes.shape[1]
    scores = np.zeros((d_latents, len(kept)))
    for d in range(d_latents):
        for j, k in enumerate(kept):
            model = LinearSVC(C=0.01, class_weight="balanced").fit(train.codes[:, d:d + 1], train.factors[:, k])
            scores[d, j] = model.score(test.codes[:, d:d + 1], test.factors[:, k])
    ranked = np.sort(scores, axis=0)
    return float(np.mean(ranked[-1] - ranked[-2])) if d_latents > 1 else float(np.mean(ranked[-1]))


METRICS = ("beta_vae", "factor_vae", "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness", "sap")
GROUPS = ("beta_vae", "factor_vae", "mig", "dci", "sap")  # what can be asked for (dci gives three figures)


def all_metrics(fit: Pool, score: Pool, *, seed: int = 0, num_train: int = 10_000, num_eval: int = 5_000,
                groups: tuple[str, ...] = GROUPS) -> dict[str, float]:
    """The metrics of `groups` (all by default) for one representation, at the given sample sizes
    (disentanglement_lib's by default), named as in METRICS."""
    out: dict[str, float] = {}
    if "beta_vae" in groups:
        out["beta_vae"] = beta_vae_score(fit, score, seed=seed, num_train=num_train, num_eval=num_eval)
    if "factor_vae" in groups:
        out["factor_vae"] = factor_vae_score(fit, score, seed=seed, num_train=num_train, num_eval=num_eval,
                                             num_variance_estimate=num_train)
    if "mig" in groups:
        out["mig"] = mig(fit, num_train=num_train)
    if "dci" in groups:
        out |= {f"dci_{k}": v for k, v in dci(fit, score, num_train=num_train, num_test=num_eval, seed=seed).items()}
    if "sap" in groups:
        out["sap"] = sap(fit, score, num_train=num_train, num_test=num_eval)
    return out
