"""The ``stage1`` stage: cross-modal distillation on natural speech (DESIGN.md §1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ConfigDict, Field

from ...core.errors import Problem
from ...training.config import Stage1Config
from .. import StageDef


class Stage1StageConfig(Stage1Config):
    model_config = ConfigDict(extra="forbid")
    feature_cache: str = Field(".cache/features",
                               description="Encoder feature cache (shared across runs)")


def check(cfg: Stage1StageConfig, ports: Mapping[str, Mapping[str, Any]]) -> Iterator[Problem]:
    loss = ports.get("loss", {})
    if cfg.teacher_topk > 0 and loss.get("teacher_top_k") is False:
        yield Problem("teacher_topk", f"teacher_topk {cfg.teacher_topk} caches the teacher as a "
                                      "top-k, but the loss reads dense teacher logits only (its "
                                      "port teacher_top_k is false); set teacher_topk: 0")
    if cfg.teacher_sharding != "replicate" and cfg.strategy == "none":
        yield Problem("teacher_sharding", f"teacher_sharding {cfg.teacher_sharding} shards the "
                                          "teacher among torchrun ranks, but strategy is none "
                                          "(one process); set strategy: ddp or fsdp")
    if cfg.batch_tokens is not None and ports.get("adapter", {}).get("downsample", 1) is None:
        yield Problem("batch_tokens", "batch_tokens counts a step's positions before the "
                                      "forward, but the adapter's output length depends on its "
                                      "weights (its port downsample is null); unset batch_tokens")


STAGE1 = StageDef(
    name="stage1",
    config=Stage1StageConfig,
    run="salad.stages.stage1.run:run",
    summary="Stage I: distil the text teacher into the speech LLM on natural speech.",
    needs=("encoder", "adapter", "teacher", "student", "loss", "scorer"),
    check=check,
    distributed=True,
)
