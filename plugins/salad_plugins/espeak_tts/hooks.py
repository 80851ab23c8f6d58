from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

VOICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*(\+[A-Za-z0-9_-]+)?$"


class EspeakConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: str = Field("en-us", pattern=VOICE_PATTERN,
                       description="'language' or 'language+variant' used by default")
    languages: list[str] | None = Field(
        None, description="English languages offered by voices(); None = every installed "
                          "non-MBROLA English voice")
    variants: list[str] | None = Field(
        None, description="Variants combined with each language; None = every installed one")
    speed_wpm: int = Field(160, ge=80, le=450, description="Speaking rate (espeak-ng -s)")
    pitch: int = Field(50, ge=0, le=99, description="Base pitch (espeak-ng -p)")
    sample_rate: int = Field(22050, ge=8000, le=48000,
                             description="Output rate (espeak-ng writes 22.05 kHz)")
    timeout_s: float = Field(120.0, gt=0, description="Per-call time limit")


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.espeak_tts.v1",
        version="1.0.0",
        config=EspeakConfig,
        factory="salad_plugins.espeak_tts.engine:EspeakTTS",
        summary="espeak-ng (Debian 'espeak-ng'): English accents x voice variants.",
        ports=lambda c: {"sample_rate": c.sample_rate},
    )]
