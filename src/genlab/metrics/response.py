"""How well a measured response (an assay's activity) is predicted: RMSE and Spearman's rank correlation,
and the field's strong classical baseline, a random forest on Morgan fingerprints (Sheridan et al. 2016)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def response_scores(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """{"rmse", "spearman"} of predictions against measured values (N,) each."""
    from scipy.stats import spearmanr

    true, predicted = np.asarray(true, np.float64), np.asarray(predicted, np.float64)
    return {"rmse": float(np.sqrt(np.mean((true - predicted) ** 2))),
            "spearman": float(spearmanr(true, predicted).statistic) if np.ptp(predicted) > 0 else float("nan")}


def fingerprint_forest(train_smiles: Sequence[str], train_values: np.ndarray, test_smiles: Sequence[str], *,
                       seed: int = 0, trees: int = 500) -> np.ndarray:
    """A random forest (scikit-learn, `trees` trees) on 1,024-bit Morgan fingerprints of radius 2, fitted on the
    labelled training molecules: its predictions (N,) for the test molecules."""
    from sklearn.ensemble import RandomForestRegressor

    from genlab.metrics.molecules import fingerprints

    forest = RandomForestRegressor(n_estimators=trees, random_state=seed, n_jobs=1)
    forest.fit(fingerprints(train_smiles), np.asarray(train_values, np.float64))
    return forest.predict(fingerprints(test_smiles))
