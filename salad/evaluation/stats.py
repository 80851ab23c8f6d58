"""Paired bootstrap confidence intervals for accuracy differences on the same items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from salad.analysis.bootstrap import mean_interval


def paired_gap(reference: Mapping[str, bool], other: Mapping[str, bool], *,
               resamples: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Accuracy of ``reference`` minus that of ``other`` on the items both scored, with a
    percentile bootstrap interval over items (items resampled with replacement, pairs kept)."""
    common = sorted(set(reference) & set(other))
    if not common:
        return {"value": float("nan"), "ci95": [float("nan"), float("nan")], "n": 0}
    diff = [float(reference[i]) - float(other[i]) for i in common]
    value, lo, hi = mean_interval(diff, resamples=resamples, seed=seed, level=level)
    return {"value": value, "ci95": [lo, hi], "n": len(common)}


def pooled_gaps(rows: Iterable[Mapping], correct_key: str, *, reference: str = "teacher_text",
                resamples: int = 2000, seed: int = 0) -> dict[str, dict]:
    """The paired gap of ``reference`` minus every other mode over the items of all benchmarks
    together. ``rows`` hold ``benchmark``, ``mode``, ``item`` and ``correct_key`` (one row per
    item and mode, as ``items.jsonl``)."""
    by_mode: dict[str, dict[str, bool]] = {}
    for row in rows:
        by_mode.setdefault(row["mode"], {})[f"{row['benchmark']}/{row['item']}"] = \
            bool(row[correct_key])
    if reference not in by_mode:
        return {}
    return {mode: paired_gap(by_mode[reference], scores, resamples=resamples, seed=seed)
            for mode, scores in by_mode.items() if mode != reference}
