"""Records for the causal LM plugins. Imports only pydantic and salad (no torch)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from salad import ComponentRecord, hookimpl

from . import ports

Training = Literal["full", "lora", "frozen"]


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    r: int = Field(8, ge=1, description="LoRA rank")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the LoRA branch")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        min_length=1, description="Names of the linear layers that get adapters")


class LMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dtype: Literal["float32", "bfloat16"] = Field(
        "float32", description="Parameter dtype after loading (bf16 is about 2x faster on CPU)")
    training: Training = Field(
        "full", description="full: all weights train; lora: only LoRA adapters; frozen: none")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="Used when training=lora")
    bos_id: int | None = Field(
        None, ge=0, description="Token id prepended when scoring plain text; None = automatic "
        "(the tokenizer's BOS, or <|endoftext|> when BOS is a chat-turn marker)")
    device: str = Field("cpu", description="torch device the model is moved to")


def _teacher_is_frozen(value: str) -> str:
    if value != "frozen":
        raise ValueError(
            f"a teacher LM is always frozen, got training={value!r}; set training: frozen "
            "(or leave it out) and train the student instead")
    return value


class GGUFLMConfig(LMSettings):
    model: str = Field(
        "smollm2-135m",
        description=f"packaged model ({' | '.join(ports.PACKAGED)}) or a path to a .gguf file")
    cache_dir: str | None = Field(
        None, description="where the dense safetensors copy (and an assembled GGUF) are cached; "
        "default $SALAD_CACHE_DIR/lm or ~/.cache/salad/lm")

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value in ports.PACKAGED or value.endswith(".gguf"):
            return value
        from salad.core.suggest import did_you_mean

        raise ValueError(
            f"unknown GGUF model {value!r}{did_you_mean(value, ports.PACKAGED)}; use one of "
            f"{', '.join(ports.PACKAGED)} or a path ending in .gguf")


class GGUFTeacherConfig(GGUFLMConfig):
    training: Training = Field("frozen", description="teachers are always frozen")
    _frozen = field_validator("training")(_teacher_is_frozen)


class HFLMConfig(LMSettings):
    model: str = Field(
        "HuggingFaceTB/SmolLM2-135M",
        description="transformers causal LM: hub id (needs network) or a local directory")
    revision: str | None = Field(None, description="hub revision (branch, tag or commit)")
    trust_remote_code: bool = Field(False, description="allow model code from the hub repo")
    lora_adapter: str | None = Field(
        None, description="local PEFT LoRA adapter directory merged into the model on load "
                          "(salad export --lora adapter writes one beside the base)")


class HFTeacherConfig(HFLMConfig):
    training: Training = Field("frozen", description="teachers are always frozen")
    _frozen = field_validator("training")(_teacher_is_frozen)


def _records(teacher: bool) -> list[ComponentRecord]:
    role = "frozen teacher" if teacher else "student (full, LoRA or frozen)"
    return [
        ComponentRecord(
            name="salad.gguf_lm.v1",
            version="1.0.0",
            config=GGUFTeacherConfig if teacher else GGUFLMConfig,
            factory="salad_plugins.causal_lm.loaders:build_gguf_lm",
            summary=f"Packaged GGUF LM (SmolLM2-135M default, Gemma-3-270M) as {role}; "
                    "cached dense.",
            ports=lambda c: ports.gguf_ports(c.model),
        ),
        ComponentRecord(
            name="salad.hf_lm.v1",
            version="1.1.0",
            config=HFTeacherConfig if teacher else HFLMConfig,
            factory="salad_plugins.causal_lm.loaders:build_hf_lm",
            summary=f"Any transformers causal LM (hub id or local path) as {role}.",
            ports=lambda c: ports.hf_ports(c.model),
        ),
    ]


@hookimpl
def salad_teacher_lms():
    return _records(teacher=True)


@hookimpl
def salad_student_lms():
    return _records(teacher=False)
