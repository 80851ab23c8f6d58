"""Paired bootstrap confidence intervals for accuracy differences on the same items."""

from __future__ import annotations

from collections.abc import Mapping

from salad.analysis.bootstrap import mean_interval


def paired_gap(reference: Mapping[str, bool], other: Mapping[str, bool], *,
               resamples: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Accuracy of ``reference`` minus that of ``other`` on the items both scored, with a
    percentile bootstrap interval over items (items resampled with replacement, pairs kept)."""
    common = sorted(set(reference) & set(other))
    diff = [float(reference[i]) - float(other[i]) for i in common]
    value, lo, hi = mean_interval(diff, resamples=resamples, seed=seed, level=level)
    return {"value": value, "ci95": [lo, hi], "n": len(common)}
