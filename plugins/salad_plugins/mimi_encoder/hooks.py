from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class MimiEncoderConfig(BaseModel):
    """Mimi reads 24 kHz audio; this component takes the pipeline's 16 kHz audio and resamples
    inside, so it declares ``sample_rate=16000`` like the other encoders."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field("kyutai/mimi", description="Hugging Face id or local save_pretrained dir")
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit)")
    output: Literal["latent", "quantized"] = Field(
        "latent", description="Continuous encoder latents (before the quantizer), or the sum of "
                              "the selected codebook embeddings")
    num_quantizers: int | None = Field(None, ge=1, description="Codebooks for 'quantized' "
                                                               "(None = all)")
    dim: int = Field(512, ge=1, description="Latent size, declared for cross-checks "
                                            "(kyutai/mimi: 512)")
    batch_size: int = Field(8, ge=1)


@hookimpl
def salad_speech_encoders():
    return [ComponentRecord(
        name="salad.mimi_encoder.v1",
        version="1.0.0",
        config=MimiEncoderConfig,
        factory="salad_plugins.mimi_encoder.encoder:build_mimi",
        summary="Frozen Mimi codec encoder (12.5 Hz latents), 16 kHz in, resampled to 24 kHz.",
        ports=lambda c: {"output_dim": c.dim, "sample_rate": 16000, "frame_rate": 12.5},
    )]
