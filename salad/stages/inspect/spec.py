"""The ``inspect`` stage: build every component of the recipe and check it against its ports."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .. import StageDef


class InspectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


INSPECT = StageDef(
    name="inspect",
    config=InspectConfig,
    run="salad.stages.inspect.run:run",
    summary="Build each component, check its protocol and declared ports, count parameters.",
)
