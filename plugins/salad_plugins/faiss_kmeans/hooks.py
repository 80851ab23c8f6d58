from __future__ import annotations

from typing import Literal

from pydantic import Field

from salad import ComponentRecord, hookimpl
from salad.selection.config import KMeansConfig


class FaissKMeansConfig(KMeansConfig):
    max_points_per_centroid: int = Field(256, ge=1, description=(
        "faiss trains on a seeded sample of at most this many rows per centroid (faiss's "
        "default); every row is then assigned to the nearest centroid"))
    device: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="auto: a GPU index when faiss reports GPUs (faiss-gpu), else CPU")


@hookimpl
def salad_clustering_backends():
    return [ComponentRecord(
        name="salad.faiss_kmeans.v1", version="1.0.0", config=FaissKMeansConfig,
        factory="salad_plugins.faiss_kmeans.backend:FaissKMeans",
        summary="faiss k-means (CPU, or GPU when faiss reports GPUs), optional cosine "
                "normalisation and balanced (equal-size) clusters.")]
