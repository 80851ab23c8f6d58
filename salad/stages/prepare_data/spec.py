"""The ``prepare_data`` stage: build (or complete) the miniature's text and speech sets."""

from __future__ import annotations

from .. import StageDef
from .mini import MiniDataConfig

PREPARE_DATA = StageDef(
    name="prepare_data",
    config=MiniDataConfig,
    run="salad.stages.prepare_data.run:run",
    summary="Build the narrow speech, held-out speech and broad text sets (resumable).",
)
