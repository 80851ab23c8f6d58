"""Settings of the k-means backends and of selection (pydantic only: hooks modules import it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class SelectionConfig(BaseModel):
    """How Stage II spends its synthesis budget over clusters."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["active", "uniform"] = Field("active", description=(
        "active: cluster weight P_web(c) * M(c)^gamma; uniform: P_web(c) (gamma = 0)"))
    gamma: float = Field(5.0, ge=0, description="Exponent on misalignment (the paper uses 5)")
    utterances: int | None = Field(None, ge=1, description="Budget: number of texts")
    hours: float | None = Field(None, gt=0, description="Budget: estimated hours of speech")
    chars_per_second: float = Field(15.0, gt=0, description="Speaking rate for the estimate "
                                    "of a text's duration (characters per second)")
    max_error_rate: float | None = Field(None, ge=0, description=(
        "Drop clusters whose synthetic probe speech has an ASR error rate above this"))
    seed: int = 0

    @model_validator(mode="after")
    def _one_budget(self) -> SelectionConfig:
        if (self.utterances is None) == (self.hours is None):
            raise ValueError("set exactly one budget: utterances or hours")
        return self

    @property
    def effective_gamma(self) -> float:
        return self.gamma if self.mode == "active" else 0.0
