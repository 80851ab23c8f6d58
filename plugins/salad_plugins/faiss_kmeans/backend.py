"""k-means on text embeddings with faiss; the same backend runs on GPU when faiss has GPUs."""
from __future__ import annotations

import numpy as np

from salad import ClusteringResult, SaladError
from salad.selection.kmeans import as_rows, check_rows, finish

from .hooks import FaissKMeansConfig


class FaissKMeans:
    def __init__(self, config: FaissKMeansConfig):
        try:
            import faiss
        except ImportError as exc:
            raise SaladError("salad.faiss_kmeans.v1 needs faiss: pip install "
                             "'salad-speech[faiss]' (or faiss-gpu for GPUs)") from exc
        gpus = faiss.get_num_gpus()
        if config.device == "gpu" and gpus == 0:
            raise SaladError("salad.faiss_kmeans.v1 device 'gpu': this faiss reports no GPU "
                             "(install faiss-gpu, or use device 'auto' or 'cpu')")
        self.config = config
        self.use_gpu = config.device != "cpu" and gpus > 0
        self.centroids: np.ndarray | None = None
        self._faiss = faiss
        self._index = None

    def fit(self, vectors: np.ndarray) -> ClusteringResult:
        x = np.ascontiguousarray(as_rows(vectors, self.config.normalize))
        check_rows(x, self.config.n_clusters)
        c = self.config
        kmeans = self._faiss.Kmeans(x.shape[1], c.n_clusters, niter=c.max_iter, nredo=c.n_init,
                                    seed=c.seed, gpu=self.use_gpu, verbose=False,
                                    max_points_per_centroid=c.max_points_per_centroid)
        kmeans.train(x)
        if c.balanced:
            result = finish(x, kmeans.centroids, c)
            self._index = self._flat_index(result.centroids)
        else:
            self._index = self._flat_index(kmeans.centroids)
            dist, labels = self._index.search(x, 1)
            result = ClusteringResult(labels=labels[:, 0].astype(np.int64),
                                      centroids=np.asarray(kmeans.centroids, dtype=np.float32),
                                      inertia=float(dist.sum()))
        self.centroids = result.centroids
        return result

    def _flat_index(self, centroids: np.ndarray):
        index = self._faiss.IndexFlatL2(centroids.shape[1])
        if self.use_gpu:
            index = self._faiss.index_cpu_to_all_gpus(index)
        index.add(np.ascontiguousarray(centroids, dtype=np.float32))
        return index

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        if self._index is None:
            raise SaladError("predict before fit: fit the k-means first")
        x = np.ascontiguousarray(as_rows(vectors, self.config.normalize))
        return self._index.search(x, 1)[1][:, 0].astype(np.int64)
