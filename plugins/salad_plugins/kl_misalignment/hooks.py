from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from salad import ComponentRecord, hookimpl


class KLScorerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


@hookimpl
def salad_misalignment_scorers():
    return [ComponentRecord(
        name="salad.kl_misalignment.v1", version="1.0.0", config=KLScorerConfig,
        factory="salad_plugins.kl_misalignment.scorer:KLScorer",
        summary="Per-position KL(P_reference || P_other) in nats (M and F of the paper).")]
