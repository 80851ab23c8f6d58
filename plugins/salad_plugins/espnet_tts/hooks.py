from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salad import ComponentRecord, hookimpl


class EspnetConfig(BaseModel):
    """Either ``model_tag`` (downloaded by espnet_model_zoo; needs the model hub) or a local
    ``train_config`` + ``model_file`` pair (works offline)."""

    model_config = ConfigDict(extra="forbid")
    model_tag: str | None = Field("kan-bayashi/ljspeech_vits",
                                  description="espnet_model_zoo / Hugging Face model tag")
    train_config: str | None = Field(None, description="Local config.yaml (instead of a tag)")
    model_file: str | None = Field(None, description="Local model .pth (with train_config)")
    vocoder_tag: str | None = Field(None, description="Vocoder tag for non-end-to-end models")
    vocoder_config: str | None = Field(None, description="Local vocoder config")
    vocoder_file: str | None = Field(None, description="Local vocoder checkpoint")
    voice: str = Field("default", description="'default' or 'spkN' for multi-speaker models")
    num_speakers: int = Field(1, ge=1, description="> 1 offers voices spk0..spk{N-1} (sids)")
    sample_rate: int = Field(22050, ge=8000, le=48000,
                             description="Output rate (the model's rate is resampled to it)")
    model_sample_rate: int | None = Field(
        None, ge=8000, description="Rate the model generates (None = read from the model)")
    device: str = Field("cpu", description="torch device")
    seed: int = Field(0, description="Random seed fixed before each utterance (reproducible)")

    @model_validator(mode="after")
    def _source(self) -> EspnetConfig:
        local = self.train_config is not None or self.model_file is not None
        if local and (self.train_config is None or self.model_file is None):
            raise ValueError("train_config and model_file must be given together")
        if not local and not self.model_tag:
            raise ValueError("give model_tag or train_config + model_file")
        return self


def _voices(c: EspnetConfig) -> list[str]:
    return ["default"] if c.num_speakers == 1 else [f"spk{i}" for i in range(c.num_speakers)]


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(
        name="salad.espnet_tts.v1",
        version="1.0.0",
        config=EspnetConfig,
        factory="salad_plugins.espnet_tts.engine:EspnetTTS",
        summary="ESPnet2 TTS (pip espnet espnet_model_zoo); model tag or local model files.",
        ports=lambda c: {"sample_rate": c.sample_rate, "voices": _voices(c)},
    )]
