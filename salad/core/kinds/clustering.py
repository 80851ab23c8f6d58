"""Clustering backends: partition text embeddings into domains for active selection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import numpy as np

    from ..items import ClusteringResult


@runtime_checkable
class ClusteringBackend(Protocol):
    def fit(self, vectors: np.ndarray) -> ClusteringResult: ...

    def predict(self, vectors: np.ndarray) -> np.ndarray: ...


class ClusteringChecks:
    def test_recovers_separated_blobs(self, component):
        import numpy as np

        rng = np.random.default_rng(0)
        k = component.config.n_clusters if hasattr(component, "config") else 3
        centres = rng.normal(size=(k, 16)) * 10
        x = np.concatenate([c + rng.normal(scale=0.1, size=(30, 16)) for c in centres])
        truth = np.repeat(np.arange(k), 30)
        result = component.fit(x)
        labels = np.asarray(result.labels)
        assert labels.shape == (len(x),)
        for c in range(k):  # every true blob maps onto exactly one cluster
            assert len(set(labels[truth == c])) == 1
        assert len(set(labels)) == k
        assert np.asarray(result.centroids).shape[0] == k
        assert (component.predict(x) == labels).all()


KIND = Kind(
    key="clustering", hook="salad_clustering_backends", title="clustering backend",
    description="Partitions text embeddings into domains for active selection.",
    protocol=ClusteringBackend, contract="ClusteringContract", checks=ClusteringChecks,
    example="salad.sklearn_kmeans.v1", slot="clustering", order=60,
)
