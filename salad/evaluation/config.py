"""What an evaluation measures: benchmarks, subset, shots, modes, voices and caches."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .prompts import MAX_SHOTS

MODES = ("teacher_text", "student_text", "student_speech", "cascade")
Mode = Literal["teacher_text", "student_text", "student_speech", "cascade"]


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    benchmarks: list[str] = Field(
        ["openbookqa", "piqa", "arc_challenge", "hellaswag"], min_length=1,
        description="Benchmark names (salad.<name>.v1) or full benchmark registry names")
    benchmark_config: dict[str, Any] = Field(
        default_factory=dict, description="Config applied to every benchmark source, e.g. "
                                          "{data_dir: ../shared/data/benchmarks} or {hf: true}")
    limit: int | None = Field(100, ge=1, description="Seeded subset per benchmark (null = all)")
    shots: int = Field(0, ge=0, le=MAX_SHOTS, description="Few-shot examples (text) per item")
    seed: int = Field(0, description="Subset and few-shot seed")
    metric: Literal["acc", "acc_norm"] = Field("acc_norm", description="Metric of the gap")
    modes: list[Mode] = Field(list(MODES), min_length=1, description="Modes to score")
    voices: list[str] = Field(["piper:joe", "festival:ked_diphone"], min_length=1,
                              description="ENGINE:VOICE for spoken items; the first is the "
                                          "main voice, the others measure robustness")
    recordings: dict[str, str] = Field(
        default_factory=dict, description="Recorded voices: label -> JSONL of {text, audio} "
                                          "rows (e.g. human speakers); evaluated like a voice "
                                          "on the items they cover")
    max_audio_seconds: float = Field(60.0, gt=0, description="Longest spoken context to "
                                     "synthesise (the encoder chunks long audio)")
    cascade_voices: Literal["main", "all"] = Field("main", description="Voices for the cascade")
    asr_model: str = Field("base", description="Cascade ASR: tiny.en, base or a CT2 model dir")
    batch_size: int = Field(16, ge=1, description="Scoring batch size")
    bootstrap: int = Field(2000, ge=100, description="Bootstrap resamples for gap intervals")
    feature_cache: str = Field(".cache/features", description="Encoder feature cache")
    tts_cache: str = Field(".cache/salad/tts", description="Synthesised audio cache")
    tts_workers: int = Field(1, ge=1, description="Synthesis worker processes (1 = in this "
                                                  "process; workers build the engines of "
                                                  "installed plugins)")
    eval_cache: str = Field(".cache/eval", description="Spoken-item manifests, per-item "
                                                       "scores and ASR transcripts")
    progress: bool = Field(True, description="Show progress bars")

    @field_validator("voices")
    @classmethod
    def _voices(cls, value: list[str]) -> list[str]:
        for v in value:
            engine, _, voice = v.partition(":")
            if not engine or not voice:
                raise ValueError(f"voice {v!r}: expected ENGINE:VOICE, e.g. piper:joe")
        if len(set(value)) != len(value):
            raise ValueError("voices must be distinct")
        return value
