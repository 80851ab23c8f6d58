from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class FbankConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_mels: int = Field(80, ge=8, le=256, description="Mel bands = output dimension")
    sample_rate: int = Field(16000, description="Input audio rate")
    hop_ms: float = Field(20.0, gt=0, description="Frame step; 20 ms gives 50 Hz like Whisper")
    win_ms: float = Field(25.0, gt=0, description="Analysis window length")


@hookimpl
def salad_speech_encoders():
    return [ComponentRecord(
        name="salad.fbank_encoder.v1",
        version="1.0.0",
        config=FbankConfig,
        factory="salad_plugins.fbank_encoder.encoder:FbankEncoder",
        summary="Weight-free log-mel filterbank frames (fast tests and baselines).",
        ports=lambda c: {"output_dim": c.n_mels, "sample_rate": c.sample_rate,
                         "frame_rate": 1000.0 / c.hop_ms},
    )]
