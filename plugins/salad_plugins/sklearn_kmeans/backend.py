"""k-means on text embeddings with scikit-learn (the CPU clustering backend)."""
from __future__ import annotations

import numpy as np

from salad import ClusteringResult, SaladError
from salad.selection.config import KMeansConfig
from salad.selection.kmeans import as_rows, check_rows, finish, nearest


class SklearnKMeans:
    def __init__(self, config: KMeansConfig):
        try:
            from sklearn.cluster import KMeans
        except ImportError as exc:
            raise SaladError("salad.sklearn_kmeans.v1 needs scikit-learn: "
                             "pip install 'salad-speech[cluster]'") from exc
        self.config = config
        self.centroids: np.ndarray | None = None
        self._model = KMeans(n_clusters=config.n_clusters, n_init=config.n_init,
                             max_iter=config.max_iter, random_state=config.seed)

    def fit(self, vectors: np.ndarray) -> ClusteringResult:
        x = as_rows(vectors, self.config.normalize)
        check_rows(x, self.config.n_clusters)
        self._model.fit(x)
        result = finish(x, self._model.cluster_centers_, self.config)
        self.centroids = result.centroids
        return result

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        if self.centroids is None:
            raise SaladError("predict before fit: fit the k-means first")
        return nearest(as_rows(vectors, self.config.normalize), self.centroids)
