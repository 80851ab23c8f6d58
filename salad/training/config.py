"""Configuration of Stage I (and of the continued training in Stage II)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Stage1Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train_manifest: str = Field(description="Speech manifest (JSONL) of the training utterances")
    heldout_manifest: str = Field(description="Speech manifest of held-out utterances (metrics)")
    steps: int = Field(300, ge=1, description="Optimizer steps")
    batch_size: int = Field(8, ge=1, description="Examples per micro-batch")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step")
    utterances_per_example: int = Field(4, ge=1, description="Consecutive utterances per example")
    speech_prob: float = Field(0.5, ge=0.0, le=1.0,
                               description="Chance that a non-final utterance is spoken")
    text_fraction: float = Field(0.25, ge=0.0, le=1.0,
                                 description="Share of plain-text examples (paper: 0.2-0.33)")
    lr_adapter: float = Field(1e-3, gt=0, description="Peak LR of adapter and markers")
    lr_lm: float = Field(5e-5, ge=0, description="Peak LR of the student LM")
    weight_decay: float = Field(0.1, ge=0)
    warmup_steps: int = Field(30, ge=0)
    decay_fraction: float = Field(0.2, ge=0.0, le=1.0,
                                  description="Linear decay to zero over this last share of steps")
    clip_norm: float = Field(1.0, gt=0)
    bf16: bool = Field(True, description="bfloat16 autocast for the student forward")
    teacher_topk: int = Field(64, ge=0,
                              description="Cache the teacher's top-k log-probs; 0 = recompute "
                                          "full teacher logits every step")
    eval_every: int = Field(50, ge=1, description="Steps between held-out metric evaluations")
    eval_examples: int = Field(32, ge=1, description="Held-out examples for M and F")
    checkpoint_every: int = Field(50, ge=1)
    seed: int = 0
    max_frames: int = Field(1500, ge=1, description="Utterances with more frames are skipped")
