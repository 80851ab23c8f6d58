"""Percentile bootstrap interval of a mean."""

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
