"""The ``stage1`` stage: cross-modal distillation on natural speech (DESIGN.md §1)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ...training.config import Stage1Config
from .. import StageDef


class Stage1StageConfig(Stage1Config):
    model_config = ConfigDict(extra="forbid")
    feature_cache: str = Field(".cache/features",
                               description="Encoder feature cache (shared across runs)")


STAGE1 = StageDef(
    name="stage1",
    config=Stage1StageConfig,
    run="salad.stages.stage1.run:run",
    summary="Stage I: distil the text teacher into the speech LLM on natural speech.",
    needs=("encoder", "adapter", "teacher", "student", "loss", "scorer"),
)
