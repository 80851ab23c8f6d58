"""The paper's misalignment probe, per cluster of the broad text pool (Stage II).

Each probed text is halved; its first half is spoken in the Stage II voice. The reading metrics
of :mod:`salad.training.reading` score its second half after the matched speech, after speech of
another probe item (mismatched), after nothing and after the text, so every cluster's M comes
with its content controls. Per cluster: M (``KL(P(. | text) || P(. | speech))``, the mean over
its items of each item's mean per position) with a bootstrap interval, M after mismatched
speech, the content gain and the information shares pooled over its positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..analysis.bootstrap import cluster_intervals
from ..core.launch import World
from .data import FeatureLookup
from .reading import HalvesSet, pooled, reading_metrics


def cluster_reading(items: Sequence[dict], clusters: Sequence[int], n_clusters: int, *,
                    resamples: int = 2000, seed: int = 0) -> list[dict]:
    """Rows ``{"cluster", "mean", "ci95", "n", "m_mismatched", "content_gain",
    "share_matched", "share_mismatched"}`` from the per-item sums of
    :func:`~salad.training.reading.reading_metrics` (``clusters[i]``: item i's cluster); a
    cluster without probe items has NaN values and ``n`` 0."""
    if len(items) != len(clusters):
        raise ValueError(f"{len(items)} probe items for {len(clusters)} cluster labels")
    labels = np.asarray(clusters, dtype=np.int64)
    per_item = np.array([it["m"] / it["positions"] if it["positions"] else np.nan
                         for it in items])
    rows = cluster_intervals(per_item, labels, n_clusters, resamples=resamples, seed=seed)
    for row in rows:
        members = [it for it, c in zip(items, labels) if c == row["cluster"] and it["positions"]]
        keys = ("misalignment_mismatched", "content_gain", "share_matched", "share_mismatched")
        summary = pooled(members) if members else {k: float("nan") for k in keys}
        row["m_mismatched"] = summary["misalignment_mismatched"]
        row.update({k: summary[k] for k in keys[1:]})
    return rows


def probe_clusters(model, teacher, scorer, halves: HalvesSet, features: FeatureLookup,
                   clusters: Sequence[int], n_clusters: int, *, batch_size: int = 16,
                   seed: int = 0, world: World | None = None,
                   together: bool = False) -> tuple[list[dict], dict[str, float]]:
    """Per-cluster rows (:func:`cluster_reading`) of the probe set ``halves`` (``clusters``:
    each item's cluster) and the reading metrics of the whole probe set; the ranks of
    ``world`` share the probe's batches (:func:`~salad.training.reading.reading_metrics`)."""
    items: list[dict] = []
    overall = reading_metrics(model, teacher, scorer, halves, features, batch_size=batch_size,
                              per_item=items, world=world, together=together)
    return cluster_reading(items, clusters, n_clusters, seed=seed), overall
