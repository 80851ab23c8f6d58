from __future__ import annotations

import numpy as np

from salad import ClusteringResult, SaladError

from .hooks import KMeansConfig


def _rows(vectors: np.ndarray, normalize: bool) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float32)
    if normalize:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


class SklearnKMeans:
    def __init__(self, config: KMeansConfig):
        try:
            from sklearn.cluster import KMeans
        except ImportError as exc:
            raise SaladError("salad.sklearn_kmeans.v1 needs scikit-learn: "
                             "pip install 'salad-speech[cluster]'") from exc
        self.config = config
        self._model = KMeans(n_clusters=config.n_clusters, n_init=config.n_init,
                             max_iter=config.max_iter, random_state=config.seed)

    def fit(self, vectors: np.ndarray) -> ClusteringResult:
        x = _rows(vectors, self.config.normalize)
        if len(x) < self.config.n_clusters:
            raise SaladError(f"k-means with K={self.config.n_clusters} needs at least that many "
                             f"rows, got {len(x)}")
        self._model.fit(x)
        return ClusteringResult(labels=self._model.labels_.astype(np.int64),
                                centroids=self._model.cluster_centers_.astype(np.float32),
                                inertia=float(self._model.inertia_))

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        return self._model.predict(_rows(vectors, self.config.normalize)).astype(np.int64)
