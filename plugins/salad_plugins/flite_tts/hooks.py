from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
"""Built-in general-domain voices of Debian flite 2.2 (``awb_time`` only speaks times)."""


class FliteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: Literal["kal", "kal16", "awb", "rms", "slt"] = Field(
        "slt", description="Voice used when synthesize() gets no voice")
    sample_rate: int = Field(16000, ge=8000, le=48000,
                             description="Output rate (kal is 8 kHz natively and is resampled)")
    timeout_s: float = Field(120.0, gt=0, description="Per-call time limit")


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.flite_tts.v1",
        version="1.0.0",
        config=FliteConfig,
        factory="salad_plugins.flite_tts.engine:FliteTTS",
        summary="flite (Debian 'flite'): voices kal, kal16, awb, rms, slt.",
        ports=lambda c: {"sample_rate": c.sample_rate, "voices": list(FLITE_VOICES)},
    )]
