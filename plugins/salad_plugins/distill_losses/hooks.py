from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class NLLConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)


class KLConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(1.0, gt=0.0, description="Softens both distributions; loss x T^2")


class MixConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alpha: float = Field(1.0, ge=0.0, le=1.0, description="Weight of distillation; SALAD uses 1")
    temperature: float = Field(1.0, gt=0.0)


def _teacher_forms(config) -> dict:
    """A cached teacher top-k holds temperature-1 log-probs: other temperatures need dense
    teacher logits (Stage I with ``teacher_topk: 0``)."""
    return {"teacher_top_k": config.temperature == 1.0}


@hookimpl
def salad_losses():
    return [
        ComponentRecord(
            name="salad.nll.v1", version="1.0.0", config=NLLConfig,
            factory="salad_plugins.distill_losses.losses:NLLLoss",
            summary="Cross-entropy of the student on the next text token."),
        ComponentRecord(
            name="salad.kl_distill.v1", version="1.0.0", config=KLConfig,
            factory="salad_plugins.distill_losses.losses:KLDistillLoss",
            summary="KL(teacher || student) per next text token, full vocabulary.",
            ports=_teacher_forms),
        ComponentRecord(
            name="salad.distill_mix.v1", version="1.0.0", config=MixConfig,
            factory="salad_plugins.distill_losses.losses:DistillMixLoss",
            summary="alpha * KL distillation + (1 - alpha) * NLL (the paper's objective).",
            ports=_teacher_forms),
    ]
