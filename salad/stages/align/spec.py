"""The ``align`` stage: train the adapter's CTC head on cached frames, no LM forward pass."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ...training.config import AlignConfig
from .. import StageDef


class AlignStageConfig(AlignConfig):
    model_config = ConfigDict(extra="forbid")
    feature_cache: str = Field(".cache/features",
                               description="Encoder feature cache (shared across runs)")


ALIGN = StageDef(
    name="align",
    config=AlignStageConfig,
    run="salad.stages.align.run:run",
    summary="Align: CTC of the adapter's head against the transcripts, LM-free (writes "
            "align/adapter.safetensors, which Stage I starts from).",
    needs=("encoder", "adapter"),
)
