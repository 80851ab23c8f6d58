"""Plain data records passed between components (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextRecord:
    """One text from a corpus, with the domain labels its source provides."""

    id: str
    text: str
    source: str
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class BenchmarkItem:
    """A multiple-choice item scored by log-likelihood.

    The context is shared by all choices unless ``contexts`` gives one context per choice
    (Winogrande-style partial scoring, where ``choices`` then holds the shared continuation).
    """

    id: str
    benchmark: str
    context: str
    choices: tuple[str, ...]
    gold: int
    contexts: tuple[str, ...] | None = None
    meta: dict = field(default_factory=dict, compare=False)


@dataclass
class ClusteringResult:
    """Labels per row and the centroids (numpy arrays)."""

    labels: object
    centroids: object
    inertia: float = float("nan")
