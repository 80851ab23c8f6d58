from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

import salad


class SphericalKMeansConfig(BaseModel):
    """Cosine k-means with k-means++ seeding."""

    model_config = ConfigDict(extra="forbid")
    n_clusters: int = Field(128, ge=1, description="Number of clusters K")
    iterations: int = Field(50, ge=1, description="Lloyd iterations")
    seed: int = Field(0, description="Seed of the k-means++ initialisation")


@salad.hookimpl
def salad_clustering_backends():
    return [salad.ComponentRecord(
        name="example.spherical_kmeans.v1",
        version="0.1.0",
        config=SphericalKMeansConfig,
        factory="salad_example_kmeans.kmeans:SphericalKMeans",
        summary="Cosine k-means in pure numpy (example third-party plugin).",
    )]
