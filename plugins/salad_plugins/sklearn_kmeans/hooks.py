from __future__ import annotations

from salad import ComponentRecord, hookimpl
from salad.selection.config import KMeansConfig


@hookimpl
def salad_clustering_backends():
    return [ComponentRecord(
        name="salad.sklearn_kmeans.v1", version="1.1.0", config=KMeansConfig,
        factory="salad_plugins.sklearn_kmeans.backend:SklearnKMeans",
        summary="scikit-learn k-means (k-means++ init), optional cosine normalisation and "
                "balanced (equal-size) clusters.")]
