"""Configuration of the synthesis job (text manifest -> speech manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.plugin_host import PluginModules
from ..core.problems import validate_config
from ..core.refs import ComponentRef
from ..data.audio import TARGET_SAMPLE_RATE, Augmentation
from ..data.files import load_yaml_mapping


class VoiceSpec(BaseModel):
    """One voice: a TTS engine by registry name, its config, the voice name and an optional
    augmentation (the same voice with different augmentations acts as several pseudo-speakers)."""

    model_config = ConfigDict(extra="forbid")
    engine: str = Field(description="TTS engine registry name, e.g. salad.flite_tts.v1")
    voice: str = Field(description="A name from the engine's voices()")
    config: dict[str, Any] = Field(default_factory=dict, description="Engine config block")
    augment: Augmentation | None = Field(None, description="Overrides the job's augmentation")
    label: str | None = Field(None, description="Speaker label; default '<engine>:<voice>'")

    def refs(self) -> list[ComponentRef]:
        return [ComponentRef("engine", "tts_engine", self.engine, config=self.config,
                             config_loc="config", voice=self.voice)]

    @property
    def speaker(self) -> str:
        if self.label:
            return self.label
        short = self.engine.split(".")[1] if "." in self.engine else self.engine
        return f"{short.removesuffix('_tts')}:{self.voice}"


class SynthesisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: str = Field(description="Text manifest (JSONL: id, text, source, domains)")
    output: str = Field(description="Speech manifest to write (JSONL, appended as items finish)")
    failures: str | None = Field(None, description="Failures JSONL; default <output>.failures")
    cache_dir: str = Field(".cache/salad/tts", description="Content-addressed audio cache")
    voices: list[VoiceSpec] = Field(min_length=1, description="Voices to speak with")
    voices_per_text: int = Field(1, ge=1, description="Distinct voices per text")
    augment: Augmentation | None = Field(None, description="Default augmentation")
    seed: int = Field(0, description="Voice assignment and augmentation seed")
    workers: int = Field(1, ge=1, description="Worker processes (1 = in this process)")
    sample_rate: int = Field(TARGET_SAMPLE_RATE, description="Output sample rate")
    audio_format: str = Field("flac", pattern=r"^(wav|flac)$", description="Cache file format")
    min_duration_s: float = Field(0.3, ge=0, description="Reject shorter audio")
    max_duration_s: float = Field(30.0, gt=0, description="Reject longer audio")
    retry_failed: bool = Field(False, description="Retry ids already in the failures file")
    plugins: PluginModules
    progress: bool = Field(True, description="Show a progress bar")
    transcribe: str | None = Field(
        None, description="ASR quality check: Whisper model ('tiny.en', 'base' or a "
                          "CTranslate2 folder) that transcribes every utterance; its row gets "
                          "`transcript` and `cer` (character error rate against the text). "
                          "None: no ASR")

    @model_validator(mode="after")
    def _checks(self) -> SynthesisConfig:
        labels = [v.speaker for v in self.voices]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"voices: duplicate speaker labels {dupes} (set 'label')")
        if self.voices_per_text > len(self.voices):
            raise ValueError(f"voices_per_text ({self.voices_per_text}) > number of voices "
                             f"({len(self.voices)})")
        if self.min_duration_s >= self.max_duration_s:
            raise ValueError("min_duration_s must be below max_duration_s")
        return self

    @property
    def failures_path(self) -> str:
        return self.failures or f"{self.output}.failures.jsonl"


def load_config(path: str | Path, **overrides: Any) -> SynthesisConfig:
    """A synthesis config from a YAML or JSON file (``overrides`` that are not None win)."""
    data = load_yaml_mapping(path, "synthesis config")
    data.update({k: v for k, v in overrides.items() if v is not None})
    return validate_config(SynthesisConfig, data, f"synthesis config {path}")
