"""Teacher targets: dense logits, or a cached top-k of log-probabilities (:class:`TeacherTopK`,
part of the loss interface in :mod:`salad.core.kinds.loss`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core.kinds.loss import TeacherTopK


def kl_topk(student_logits: torch.Tensor, teacher: TeacherTopK) -> torch.Tensor:
    """Mean KL(teacher || student) over the teacher's top-k tokens plus one bucket holding the
    remaining probability mass (exact KL between the two coarse-grained distributions)."""
    s_logp = F.log_softmax(student_logits.float(), dim=-1)
    s_top = s_logp.gather(-1, teacher.indices)
    t_top = teacher.logprobs.float()
    t_p = t_top.exp()
    kl_top = (t_p * (t_top - s_top)).sum(-1)
    t_tail = (1.0 - t_p.sum(-1)).clamp_min(1e-8)
    s_tail = (1.0 - s_top.exp().sum(-1)).clamp_min(1e-8)
    kl_tail = t_tail * (t_tail.log() - s_tail.log())
    return (kl_top + kl_tail).mean()
