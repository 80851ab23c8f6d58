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

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..core.launch import Device
from ..core.plugin_host import PluginModules


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentSpec(Strict):
    name: str = Field(description="Registry name, e.g. salad.fbank_encoder.v1")
    config: dict[str, Any] = Field(default_factory=dict, description="The component's config")
    kind: str | None = Field(None, description="Component kind; implied by standard slot names")


class StageSpec(Strict):
    name: str = Field(description="Stage name, e.g. stage1")
    config: dict[str, Any] = Field(default_factory=dict)


RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Recipe(Strict):
    name: str = Field(description="Recipe name; also names run directories "
                                  "(<output_dir>/<name>-<time>)")
    description: str = ""
    seed: int = Field(0, description="The seed of every stage whose config has a seed and does "
                                     "not set it")
    sample_rate: int = Field(16000, description="Audio rate fed to the speech encoder")
    output_dir: str = Field("runs", description="Where run directories are created")
    device: Device = Field("auto", description="Where stages train and evaluate: auto (CUDA "
                                               "when torch sees it, else CPU), cpu or cuda")
    plugins: PluginModules
    components: dict[str, ComponentSpec | list[ComponentSpec]] = Field(default_factory=dict)
    stages: list[StageSpec] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _one_folder_name(cls, name: str) -> str:
        if not RUN_NAME.match(name):
            raise ValueError("the name becomes a folder inside output_dir: use letters, digits, "
                             "'.', '_' and '-', starting with a letter or digit (no '/' or '..')")
        return name
