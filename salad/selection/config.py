"""Settings shared by the k-means clustering backends (pydantic only: hooks modules import it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KMeansConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_clusters: int = Field(128, ge=1, description="K; the paper uses 128")
    seed: int = 0
    n_init: int = Field(1, ge=1, description="Runs from different seeds; the lowest inertia wins")
    max_iter: int = Field(100, ge=1)
    normalize: bool = Field(True, description="L2-normalise rows first (spherical / cosine)")
    balanced: bool = Field(False, description=(
        "Equal-size clusters (at most ceil(N / K) rows each): capacity-constrained assignment "
        "after k-means, alternated with centroid updates; predict stays nearest-centroid"))
    balance_iterations: int = Field(5, ge=1, description="Rounds of balanced assignment and "
                                    "centroid update (with balanced)")
