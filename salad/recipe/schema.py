"""The recipe schema: pydantic models for the YAML a user writes.

A recipe names components by registry name with a config block, grouped in *slots*::

    components:
      encoder: {name: salad.fbank_encoder.v1, config: {n_mels: 80}}
      adapter: {name: salad.mlp_adapter.v1, config: {input_dim: 80}}
      benchmarks:                                  # a slot may hold a list
        - {name: salad.openbookqa.v1}
      held_out_tts: {kind: tts_engine, name: salad.flite_tts.v1}   # custom slot: kind given

Standard slot names (``Kind.slot`` in :mod:`salad.core.kinds`) imply their kind; any other slot
must say ``kind:``. Stages refer to slots by name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentSpec(Strict):
    name: str = Field(description="Registry name, e.g. salad.fbank_encoder.v1")
    config: dict[str, Any] = Field(default_factory=dict, description="The component's config")
    kind: str | None = Field(None, description="Component kind; implied by standard slot names")


class StageSpec(Strict):
    name: str = Field(description="Stage name, e.g. stage1")
    config: dict[str, Any] = Field(default_factory=dict)


class Recipe(Strict):
    name: str = Field(description="Recipe name; also names run directories")
    description: str = ""
    seed: int = 0
    sample_rate: int = Field(16000, description="Audio rate fed to the speech encoder")
    output_dir: str = Field("runs", description="Where run directories are created")
    plugins: list[str] = Field(
        default_factory=list,
        description="Local plugin modules (import names or .py paths relative to the recipe)")
    components: dict[str, ComponentSpec | list[ComponentSpec]] = Field(default_factory=dict)
    stages: list[StageSpec] = Field(default_factory=list)

    def specs(self, slot: str) -> list[ComponentSpec]:
        value = self.components.get(slot)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
