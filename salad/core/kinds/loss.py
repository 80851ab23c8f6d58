"""Losses: training objectives over the positions whose next token is text.

The teacher reaches a loss in one of two forms: dense logits ``(N, V)``, or a
:class:`TeacherTopK` (the teacher's k most likely tokens per position as log-probabilities), which
Stage I passes when it caches the teacher (``teacher_topk > 0``, the default). A loss that can
only read dense logits declares the port ``teacher_top_k: False``; validation then requires
Stage I to run with ``teacher_topk: 0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import torch


@dataclass
class TeacherTopK:
    """The teacher's k most likely next tokens per position, as log-probabilities."""

    logprobs: torch.Tensor   # (N, k) float
    indices: torch.Tensor    # (N, k) long

    @staticmethod
    def from_logits(logits: torch.Tensor, k: int) -> TeacherTopK:
        import torch.nn.functional as F

        logp = F.log_softmax(logits.float(), dim=-1)
        values, indices = logp.topk(k, dim=-1)
        return TeacherTopK(values, indices)


@runtime_checkable
class Loss(Protocol):
    """Objective over the ``N`` positions whose next token is text."""

    needs_teacher: bool

    def __call__(
        self,
        student_logits: torch.Tensor,
        targets: torch.Tensor,
        teacher_logits: torch.Tensor | TeacherTopK | None = None,
    ) -> Mapping[str, torch.Tensor]:
        """Return a mapping with the scalar ``"loss"`` and any parts worth logging.
        ``teacher_logits`` is dense ``(N, V)`` logits or a :class:`TeacherTopK`; None when
        ``needs_teacher`` is false."""


class LossChecks:
    # True when the loss is exactly zero for a student equal to its teacher (pure distillation).
    zero_when_matching: ClassVar[bool] = False

    def _inputs(self):
        import torch

        g = torch.Generator().manual_seed(0)
        student = torch.randn(6, 50, generator=g, requires_grad=True)
        teacher = torch.randn(6, 50, generator=g)
        targets = torch.randint(0, 50, (6,), generator=g)
        return student, teacher, targets

    def _check_scalar_with_gradient(self, component, teacher) -> None:
        student, _, targets = self._inputs()
        loss = component(student, targets, teacher)["loss"]
        assert loss.ndim == 0 and bool(loss.isfinite())
        loss.backward()
        assert student.grad is not None and student.grad.abs().sum() > 0

    def test_finite_scalar_with_gradient_dense_teacher(self, component):
        _, teacher, _ = self._inputs()
        self._check_scalar_with_gradient(component, teacher if component.needs_teacher else None)

    def _skip_unless_top_k(self, record, component) -> None:
        import pytest

        if not component.needs_teacher:
            pytest.skip("the loss reads no teacher")
        if self._ports(record).get("teacher_top_k") is False:
            pytest.skip("the loss declares teacher_top_k: False (dense teacher logits only)")

    def test_finite_scalar_with_gradient_top_k_teacher(self, record, component):
        """Stage I passes the teacher as a :class:`TeacherTopK` by default."""
        self._skip_unless_top_k(record, component)
        _, teacher, _ = self._inputs()
        self._check_scalar_with_gradient(component, TeacherTopK.from_logits(teacher, 8))

    def test_full_top_k_equals_dense_teacher(self, record, component):
        """A top-k over the whole vocabulary carries the dense distribution: same loss."""
        import pytest

        self._skip_unless_top_k(record, component)
        student, teacher, targets = self._inputs()
        dense = component(student, targets, teacher)["loss"]
        top = component(student, targets, TeacherTopK.from_logits(teacher, teacher.shape[-1]))
        assert top["loss"].item() == pytest.approx(dense.item(), rel=1e-4, abs=1e-5)

    def test_matching_teacher(self, component):
        import pytest

        if not self.zero_when_matching:
            pytest.skip("loss is not zero for a matching teacher")
        student, _, targets = self._inputs()
        out = component(student, targets, student.detach().clone())
        assert out["loss"].item() == pytest.approx(0.0, abs=1e-5)


KIND = Kind(
    key="loss", hook="salad_losses", title="loss",
    description="Training objective over text positions (distillation, NLL, mixes).",
    protocol=Loss, contract="LossContract", checks=LossChecks,
    example="salad.kl_distill.v1", slot="loss", ports=("teacher_top_k",), order=50,
)
