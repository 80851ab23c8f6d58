from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

FESTIVAL_VOICE_PACKAGES = {
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}
"""Known voices and the Debian package that provides each."""
VOICE_DIRS = (Path("/usr/share/festival/voices"), Path("/usr/lib/festival/voices"))


def installed_voices() -> list[str]:
    """Installed voices (``<voice dir>/<language>/<voice>``), from a directory listing."""
    return sorted({p.name for d in VOICE_DIRS if d.is_dir() for p in d.glob("*/*")
                   if p.is_dir()})


class FestivalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: str = Field("kal_diphone", pattern=r"^[A-Za-z0-9_]+$",
                       description="Voice used when synthesize() gets no voice")
    sample_rate: int = Field(16000, ge=8000, le=48000,
                             description="Output rate (voices are resampled to it)")
    timeout_s: float = Field(120.0, gt=0, description="Per-call time limit")


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.festival_tts.v1",
        version="1.0.0",
        config=FestivalConfig,
        factory="salad_plugins.festival_tts.engine:FestivalTTS",
        summary="Festival via text2wave (Debian 'festival' + festvox-* voices).",
        ports=lambda c: {"sample_rate": c.sample_rate, "voices": installed_voices()},
    )]
