from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salad import ComponentRecord, hookimpl


class TransformerAdapterConfig(BaseModel):
    """Defaults: a small 2 x 384 adapter for the CPU miniature. Paper scale: ``num_layers=12,
    hidden_dim=960, ffn_dim=2560, ffn=swiglu, num_heads=15, num_kv_heads=5`` (about 121M
    parameters on 512-d frames into a 2048-d LM)."""

    model_config = ConfigDict(extra="forbid")
    input_dim: int = Field(512, ge=1, description="Encoder frame size (Whisper base: 512)")
    output_dim: int = Field(576, ge=1, description="LM hidden size (SmolLM2-135M: 576)")
    downsample: int = Field(4, ge=1, description="Frames stacked per step (50 Hz -> 12.5 Hz)")
    num_layers: int = Field(2, ge=0, le=64, description="Causal Transformer blocks")
    hidden_dim: int = Field(384, ge=8, description="Width of the blocks")
    num_heads: int = Field(6, ge=1, description="Attention heads (hidden_dim must divide)")
    num_kv_heads: int | None = Field(None, ge=1, description="Key/value heads (grouped-query "
                                                             "attention); None = num_heads")
    ffn_dim: int | None = Field(None, ge=1, description="Feed-forward width; None = 4 x hidden")
    ffn: Literal["gelu", "swiglu"] = Field("gelu", description="Feed-forward kind: two matrices "
                                                               "with GELU, or gated SwiGLU "
                                                               "(three matrices)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    rope_base: float = Field(10000.0, gt=0, description="Rotary position embedding base")

    @model_validator(mode="after")
    def _heads_divide_width(self):
        if self.hidden_dim % self.num_heads or (self.hidden_dim // self.num_heads) % 2:
            raise ValueError(f"hidden_dim={self.hidden_dim} must split into num_heads="
                             f"{self.num_heads} heads of even size")
        if self.num_heads % self.kv_heads:
            raise ValueError(f"num_kv_heads={self.num_kv_heads} must divide num_heads="
                             f"{self.num_heads}")
        return self

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads


@hookimpl
def salad_adapters():
    return [ComponentRecord(
        name="salad.transformer_adapter.v1",
        version="1.1.0",
        config=TransformerAdapterConfig,
        factory="salad_plugins.transformer_adapter.adapter:TransformerAdapter",
        summary="Stack k frames, then a causal pre-norm Transformer into the LM embedding space.",
        ports=lambda c: {"input_dim": c.input_dim, "output_dim": c.output_dim,
                         "downsample": c.downsample},
    )]
