"""Misalignment scorers: the divergence between two next-token distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import torch


@runtime_checkable
class MisalignmentScorer(Protocol):
    def score(self, reference_logits: torch.Tensor, other_logits: torch.Tensor) -> torch.Tensor:
        """Per-position divergence ``(N,)`` in nats of ``other`` from ``reference``."""


class MisalignmentScorerChecks:
    def test_zero_for_identical_positive_otherwise(self, component):
        import torch

        g = torch.Generator().manual_seed(0)
        a = torch.randn(5, 40, generator=g)
        b = torch.randn(5, 40, generator=g)
        same = component.score(a, a.clone())
        diff = component.score(a, b)
        assert same.shape == (5,) and diff.shape == (5,)
        assert same.abs().max().item() < 1e-5
        assert bool((diff > 0).all())


KIND = Kind(
    key="misalignment_scorer", hook="salad_misalignment_scorers", title="misalignment scorer",
    description="Scores the divergence between two next-token distributions.",
    protocol=MisalignmentScorer, contract="MisalignmentScorerContract",
    checks=MisalignmentScorerChecks, example="salad.kl_misalignment.v1", slot="scorer",
    order=70,
)
