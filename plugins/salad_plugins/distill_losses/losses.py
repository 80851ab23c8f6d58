from __future__ import annotations

import torch
import torch.nn.functional as F

from salad.speech.teacher import TeacherTopK, kl_topk

from .hooks import KLConfig, MixConfig, NLLConfig


def kl_teacher_student(student_logits: torch.Tensor, teacher_logits,
                       temperature: float = 1.0) -> torch.Tensor:
    """Mean over positions of KL(softmax(teacher / T) || softmax(student / T)) * T^2.

    ``teacher_logits`` may be a dense ``(N, V)`` tensor or a cached :class:`TeacherTopK`.
    """
    if isinstance(teacher_logits, TeacherTopK):
        if temperature != 1.0:
            raise ValueError("a cached teacher top-k supports temperature 1 only; set "
                             "teacher_topk: 0 to distil at another temperature")
        return kl_topk(student_logits, teacher_logits)
    s = F.log_softmax(student_logits.float() / temperature, dim=-1)
    t = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    kl = F.kl_div(s, t, log_target=True, reduction="none").sum(-1)
    return kl.mean() * temperature**2


class NLLLoss:
    needs_teacher = False

    def __init__(self, config: NLLConfig):
        self.config = config

    def __call__(self, student_logits, targets, teacher_logits=None):
        nll = F.cross_entropy(student_logits.float(), targets,
                              label_smoothing=self.config.label_smoothing)
        return {"loss": nll, "nll": nll.detach()}


class KLDistillLoss:
    needs_teacher = True

    def __init__(self, config: KLConfig):
        self.config = config

    def __call__(self, student_logits, targets, teacher_logits=None):
        if teacher_logits is None:
            raise ValueError("salad.kl_distill.v1 needs teacher logits")
        kl = kl_teacher_student(student_logits, teacher_logits, self.config.temperature)
        return {"loss": kl, "kl": kl.detach()}


class DistillMixLoss:
    def __init__(self, config: MixConfig):
        self.config = config
        self.needs_teacher = config.alpha > 0

    def __call__(self, student_logits, targets, teacher_logits=None):
        a = self.config.alpha
        parts: dict[str, torch.Tensor] = {}
        total = student_logits.new_zeros((), dtype=torch.float32)
        if a > 0:
            if teacher_logits is None:
                raise ValueError("salad.distill_mix.v1 with alpha > 0 needs teacher logits")
            kl = kl_teacher_student(student_logits, teacher_logits, self.config.temperature)
            total = total + a * kl
            parts["kl"] = kl.detach()
        if a < 1:
            nll = F.cross_entropy(student_logits.float(), targets)
            total = total + (1 - a) * nll
            parts["nll"] = nll.detach()
        return {"loss": total, **parts}
