"""What the k-means backends share: row normalisation, nearest-centroid assignment, inertia,
and the balanced (equal-size) assignment the paper's k-means uses.

Balanced assignment is capacity-constrained: every cluster takes at most ``ceil(N / K)`` rows.
In each round, every unassigned row proposes to its nearest centroid that still has room, and
each centroid accepts its closest proposers up to its room; rounds repeat until every row is
placed. :func:`balance` alternates that assignment with centroid updates, starting from the
centroids of ordinary k-means. Everything is deterministic (ties go to the lower index).
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import SaladError
from ..core.items import ClusteringResult


def as_rows(vectors: np.ndarray, normalize: bool) -> np.ndarray:
    """``(N, D)`` float32, L2-normalised rows when ``normalize``."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected (N, D) vectors, got shape {x.shape}")
    if normalize:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


def squared_distances(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``(N, K)`` squared Euclidean distances (float32, clipped at 0)."""
    d = (x * x).sum(1, keepdims=True) - 2.0 * (x @ centroids.T) + (centroids * centroids).sum(1)
    return np.maximum(d, 0.0, out=d)


def inertia(x: np.ndarray, centroids: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of rows to their cluster's centroid."""
    return float(((x - centroids[labels]) ** 2).sum())


def balanced_assign(x: np.ndarray, centroids: np.ndarray,
                    capacity: int | None = None) -> np.ndarray:
    """Labels with at most ``capacity`` (default ``ceil(N / K)``) rows per cluster."""
    n, k = len(x), len(centroids)
    capacity = math.ceil(n / k) if capacity is None else capacity
    if capacity * k < n:
        raise ValueError(f"capacity {capacity} x {k} clusters cannot hold {n} rows")
    room = np.full(k, capacity, dtype=np.int64)
    dist = squared_distances(x, centroids)
    labels = np.full(n, -1, dtype=np.int64)
    left = np.arange(n)
    while len(left):
        d = dist[left]
        d[:, room == 0] = np.inf
        choice = d.argmin(1)
        best = d[np.arange(len(left)), choice]
        order = np.lexsort((left, best, choice))  # by cluster, then distance, then row
        sorted_choice = choice[order]
        starts = np.searchsorted(sorted_choice, sorted_choice, side="left")
        accepted = order[np.arange(len(order)) - starts < room[sorted_choice]]
        labels[left[accepted]] = choice[accepted]
        room -= np.bincount(choice[accepted], minlength=k)
        left = left[labels[left] < 0]
    return labels


def balance(x: np.ndarray, centroids: np.ndarray, iterations: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Balanced labels and their centroids after ``iterations`` rounds of balanced assignment
    and centroid update (at least one assignment)."""
    labels = balanced_assign(x, centroids)
    for _ in range(iterations - 1):
        centroids = centroid_means(x, labels, centroids)
        labels = balanced_assign(x, centroids)
    return labels, centroid_means(x, labels, centroids)


def centroid_means(x: np.ndarray, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Mean of each cluster's rows (a cluster without rows keeps its previous centroid)."""
    counts = np.bincount(labels, minlength=len(previous))
    filled = np.flatnonzero(counts)
    rows = x[np.argsort(labels, kind="stable")].astype(np.float64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[filled]
    out = previous.astype(np.float32).copy()
    out[filled] = (np.add.reduceat(rows, starts, axis=0) / counts[filled, None]).astype(np.float32)
    return out


def nearest(x: np.ndarray, centroids: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Index of each row's nearest centroid (ties to the lower index)."""
    return np.concatenate([squared_distances(x[i:i + chunk], centroids).argmin(1)
                           for i in range(0, max(len(x), 1), chunk)]).astype(np.int64)


def finish(x: np.ndarray, centroids: np.ndarray, config) -> ClusteringResult:
    """The result of a k-means fit on rows ``x`` (a :class:`~salad.selection.config.KMeansConfig`
    ``config``): nearest-centroid labels, or balanced ones with their updated centroids."""
    centroids = np.asarray(centroids, dtype=np.float32)
    if config.balanced:
        labels, centroids = balance(x, centroids, config.balance_iterations)
    else:
        labels = nearest(x, centroids)
    return ClusteringResult(labels=labels, centroids=centroids,
                            inertia=inertia(x, centroids, labels))


def check_rows(x: np.ndarray, n_clusters: int) -> None:
    if len(x) < n_clusters:
        raise SaladError(f"k-means with K={n_clusters} needs at least that many rows, "
                         f"got {len(x)}")
    if not np.isfinite(x).all():
        raise SaladError("k-means input has non-finite values (NaN or inf)")
