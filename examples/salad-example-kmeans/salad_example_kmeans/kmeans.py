from __future__ import annotations

import numpy as np

from salad import ClusteringResult

from .hooks import SphericalKMeansConfig


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class SphericalKMeans:
    def __init__(self, config: SphericalKMeansConfig):
        self.config = config
        self.centroids: np.ndarray | None = None

    def _seed(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        centres = [x[rng.integers(len(x))]]
        for _ in range(1, self.config.n_clusters):
            dist = 1.0 - np.max(x @ np.stack(centres).T, axis=1)
            p = np.clip(dist, 0, None) ** 2
            idx = rng.choice(len(x), p=p / p.sum()) if p.sum() > 0 else rng.integers(len(x))
            centres.append(x[idx])
        return np.stack(centres)

    def fit(self, vectors: np.ndarray) -> ClusteringResult:
        x = _unit_rows(vectors)
        k = self.config.n_clusters
        if len(x) < k:
            raise ValueError(f"need at least {k} rows to form {k} clusters, got {len(x)}")
        rng = np.random.default_rng(self.config.seed)
        centres = self._seed(x, rng)
        for _ in range(self.config.iterations):
            labels = np.argmax(x @ centres.T, axis=1)
            new = np.stack([x[labels == c].sum(0) if np.any(labels == c) else centres[c]
                            for c in range(k)])
            new = _unit_rows(new)
            if np.allclose(new, centres):
                break
            centres = new
        self.centroids = centres
        labels = np.argmax(x @ centres.T, axis=1)
        inertia = float(np.sum(1.0 - np.max(x @ centres.T, axis=1)))
        return ClusteringResult(labels=labels.astype(np.int64),
                                centroids=centres.astype(np.float32), inertia=inertia)

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        if self.centroids is None:
            raise RuntimeError("fit() first")
        return np.argmax(_unit_rows(vectors) @ self.centroids.T, axis=1).astype(np.int64)
