"""The ``evaluate`` stage: the run's benchmarks as text, as speech and through ASR."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ...evaluation.config import EvalConfig
from .. import StageDef


class EvaluateStageConfig(EvalConfig):
    model_config = ConfigDict(extra="forbid")
    checkpoint: str = Field("final", description="Stage I checkpoint under stage1/checkpoints/ "
                                                 "('initial': the untrained student, also used "
                                                 "when the run has no Stage I checkpoints)")


EVALUATE = StageDef(
    name="evaluate",
    config=EvaluateStageConfig,
    run="salad.stages.evaluate.run:run",
    summary="Evaluate: the same benchmark items as text, as speech and through ASR; the gap.",
    needs=("encoder", "adapter", "teacher", "student"),
)
