"""The ``stage2`` stage: active selection of misaligned domains, targeted synthesis and
continued training from Stage I's ``pre-decay`` checkpoint (docs/stage2.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...core.errors import Problem
from ...selection.config import SelectionConfig
from ...training.config import Stage1Config
from .. import StageDef
from ..stage1.spec import check as stage1_check


class VoiceHeldout(BaseModel):
    """Held-out halves that the stage speaks in the Stage II voice."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="Label in metrics")
    halves: str = Field(description="Text manifest of the first halves to speak (ids "
                                    "'<text id>#h1')")
    texts: str = Field(description="Text manifest of the full held-out texts")
    limit: int | None = Field(None, ge=2, description="Use at most this many halves")


class Stage2StageConfig(Stage1Config):
    """Stage I's training fields (the continued training reuses its trainer) plus selection.
    ``steps`` counts Stage II's own steps; the learning rate restarts at Stage I's peak (the
    ``pre-decay`` checkpoint's) and decays to 0 over ``decay_fraction`` of them."""

    model_config = ConfigDict(extra="forbid")
    feature_cache: str = Field(".cache/features",
                               description="Encoder feature cache (shared across runs)")
    pool: str = Field(description="Text manifest of the broad pool to cluster and select from")
    pool_limit: int | None = Field(None, ge=2, description="Use the pool's first N texts")
    embed_block_size: int = Field(1024, ge=1, description="Distinct pool texts per embedding "
                                                           "call (the ranks of a torchrun "
                                                           "launch take turns over the blocks)")
    voice: str = Field(description="Voice of the `tts` component: probe speech, the selected "
                                   "speech and the voice_heldout sets")
    halves_words: tuple[int, int] = Field(
        (8, 40), description="Word range of the pool texts that can be probed or selected "
                             "(each is halved: first half spoken, second half text)")
    scorer_kind: Literal["probe", "proxy"] = Field(
        "probe", description="M per cluster: probe (the paper's: the Stage I student on the "
                             "probe texts' speech against their text, with content controls) or "
                             "proxy (teacher-student divergence on the probe texts alone, no "
                             "speech)")
    probe_per_cluster: int = Field(8, ge=2, description="Probe texts per cluster")
    probe_seed: int = Field(0, description="Draw of the probe texts (kept apart from `seed` and "
                                           "the selection's seed, so runs that differ only in "
                                           "those share one probe)")
    selection: SelectionConfig = Field(description="Mode (active / uniform), gamma, budget, "
                                                   "ASR quality threshold, seed")
    asr_model: str | None = Field(
        "base", description="Whisper model transcribing the probe speech (the quality "
                            "filter's character error rate per cluster); None: no filter")
    voice_heldout: list[VoiceHeldout] = Field(
        default_factory=list, description="Held-out halves spoken in the Stage II voice, "
                                          "measured beside `heldout`")
    synthetic_share: float | None = Field(
        0.5, gt=0.0, lt=1.0, description="Share of the training windows that are selected "
                                         "synthetic halves (natural windows subsampled or "
                                         "synthetic ones repeated to reach it); None: all of "
                                         "both once")
    resume_from: str = Field("pre-decay", description="Stage I checkpoint to continue from")
    probe_after: bool = Field(True, description="Probe the clusters again after training (M "
                                                "after Stage II per cluster, in the report)")
    workers: int = Field(2, ge=1, description="Synthesis worker processes")
    audio_cache: str = Field(".cache/salad/tts", description="Synthesized audio cache")
    warmup_steps: int = Field(0, ge=0)
    decay_fraction: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _words(self) -> Stage2StageConfig:
        if not 2 <= self.halves_words[0] <= self.halves_words[1]:
            raise ValueError("halves_words must be (low, high) with 2 <= low <= high")
        return self


def check(cfg: Stage2StageConfig, ports: Mapping[str, Mapping[str, Any]]) -> Iterator[Problem]:
    voices = ports.get("tts", {}).get("voices")
    if voices and cfg.voice not in voices:
        yield Problem("voice", f"voice {cfg.voice!r} is not one of the tts component's voices "
                               f"({', '.join(sorted(voices)[:10])})")
    yield from stage1_check(cfg, ports)


STAGE2 = StageDef(
    name="stage2",
    config=Stage2StageConfig,
    run="salad.stages.stage2.run:run",
    summary="Stage II: cluster the broad pool, score misalignment per cluster, select and "
            "synthesize texts (active or uniform), continue distillation from Stage I's "
            "pre-decay checkpoint.",
    needs=("encoder", "adapter", "teacher", "student", "loss", "scorer", "embedder",
           "clustering", "tts"),
    check=check,
    distributed=True,  # under torchrun every rank trains; rank 0 selects and synthesizes
)
