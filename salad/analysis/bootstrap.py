"""Percentile bootstrap interval of a mean (overall, or per cluster)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_interval(values: Sequence[float], *, resamples: int = 2000, seed: int = 0,
                  level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` and its percentile bootstrap interval
    (values resampled with replacement); NaN for no values."""
    x = np.asarray(values, dtype=np.float64)
    if not len(x):
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(x.mean()), float(lo), float(hi)


def cluster_intervals(values: np.ndarray, labels: np.ndarray, n_clusters: int, *,
                      resamples: int = 2000, seed: int = 0, level: float = 0.95) -> list[dict]:
    """Per cluster: the mean of its finite ``values``, its bootstrap interval and their count
    (NaN mean and interval for a cluster without values)."""
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    rows = []
    for c in range(n_clusters):
        v = values[(labels == c) & np.isfinite(values)]
        mean, lo, hi = mean_interval(v, resamples=resamples, seed=seed + c, level=level)
        rows.append({"cluster": c, "mean": mean, "ci95": [lo, hi], "n": len(v)})
    return rows
