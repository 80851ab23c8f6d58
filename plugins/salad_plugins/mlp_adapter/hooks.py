from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class MLPAdapterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input_dim: int = Field(512, ge=1, description="Encoder frame size (Whisper base: 512)")
    output_dim: int = Field(576, ge=1, description="LM hidden size (SmolLM2-135M: 576)")
    downsample: int = Field(4, ge=1, description="Frames stacked per output (50 -> 12.5 Hz)")
    hidden_dim: int = Field(1024, ge=1, description="Width of the hidden layer")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)


@hookimpl
def salad_adapters():
    return [ComponentRecord(
        name="salad.mlp_adapter.v1",
        version="1.0.0",
        config=MLPAdapterConfig,
        factory="salad_plugins.mlp_adapter.adapter:MLPAdapter",
        summary="Stack k frames, then a 2-layer MLP into the LM embedding space.",
        ports=lambda c: {"input_dim": c.input_dim, "output_dim": c.output_dim,
                         "downsample": c.downsample},
    )]
