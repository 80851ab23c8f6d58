from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class KMeansConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_clusters: int = Field(128, ge=1, description="K; the paper uses 128")
    seed: int = 0
    n_init: int = Field(1, ge=1)
    max_iter: int = Field(100, ge=1)
    normalize: bool = Field(True, description="L2-normalise rows first (spherical / cosine)")


@hookimpl
def salad_clustering_backends():
    return [ComponentRecord(
        name="salad.sklearn_kmeans.v1", version="1.0.0", config=KMeansConfig,
        factory="salad_plugins.sklearn_kmeans.backend:SklearnKMeans",
        summary="scikit-learn k-means (k-means++ init), optional cosine normalisation.")]
