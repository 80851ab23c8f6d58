"""Configuration of the training stages: align (LM-free CTC), Stage I (and the continued
training of Stage II). Torch-free: ``salad validate`` reads it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Strategy = Literal["none", "ddp", "fsdp"]  # data parallelism (salad.training.distributed)


class HalvesRef(BaseModel):
    """A set of halves: spoken first halves, and the full texts they halve."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="Label in metrics, e.g. broad")
    speech: str = Field(description="Speech manifest of the spoken first halves (text_id: "
                                    "'<text id>#h1')")
    texts: str = Field(description="Text manifest of the full held-out texts")
    limit: int | None = Field(None, ge=2, description="Use at most this many halves")


class Stage1Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train_manifest: str = Field(description="Speech manifest (JSONL) of the training utterances")
    train_halves: list[HalvesRef] = Field(
        default_factory=list,
        description="Training halves: examples whose text depends on the speech (the spoken "
                    "first half, then the second half as text), mixed with the windows of "
                    "train_manifest")
    mismatched_halves: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Share of the training halves that also enter with another text's spoken "
                    "first half before their second half (the teacher reads that other half "
                    "as text): continuations that do not follow from the speech, which a "
                    "content-free prompt cannot fit")
    heldout: list[HalvesRef] = Field(
        min_length=1, description="Held-out halves for the reading metrics (M, F, content "
                                  "controls); the first set's M is the run's misalignment")
    steps: int = Field(300, ge=1, description="Optimizer steps")
    batch_size: int = Field(8, ge=1, description="Examples per micro-batch (per rank)")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step, summed over "
                                                 "ranks (a multiple of the rank count)")
    batch_tokens: int | None = Field(
        None, ge=1, description="Global batch in student positions: a step draws rounds of "
                                "grad_accum micro-batches until the windows drawn hold at least "
                                "this many positions, counted from their tokens and frame "
                                "counts before the forward, so the same on any number of ranks "
                                "(needs an adapter with a fixed downsample); None: one round, "
                                "batch_size x grad_accum windows")
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
    bf16: bool | None = Field(None, description="bfloat16 autocast for the student forward; "
                                                "None = the device's default (bf16 on CUDA, "
                                                "fp32 on CPU, where bf16 is slower here)")
    strategy: Strategy = Field(
        "none", description="Data parallelism under torchrun: none (one process), ddp, or fsdp "
                            "(FSDP2, the student sharded); the global batch is batch_size x "
                            "grad_accum windows whatever the number of ranks")
    activation_checkpointing: bool = Field(False, description="Recompute the student LM's "
                                                              "activations in backward")
    teacher_sharding: Literal["replicate", "fsdp"] = Field(
        "replicate", description="The frozen teacher under ddp or fsdp: replicate (whole on "
                                 "every rank) or fsdp (its blocks sharded with FSDP2, each "
                                 "gathered for its forward: 1/N of its weights per rank)")
    teacher_topk: int = Field(64, ge=0,
                              description="Cache the teacher's top-k log-probs; 0 = recompute "
                                          "full teacher logits every step")
    eval_every: int = Field(50, ge=1, description="Steps between held-out metric evaluations "
                                                 "(also measured at the start, at the pre-decay "
                                                 "step and at the end)")
    checkpoint_every: int = Field(50, ge=1)
    seed: int = 0
    max_frames: int = Field(1500, ge=1, description="Utterances with more frames are skipped")


class AlignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    train_manifests: list[str] = Field(min_length=1, description="Speech manifests to align on")
    heldout_manifests: list[str] = Field(default_factory=list,
                                         description="Speech manifests for held-out WER")
    steps: int = Field(1500, ge=1, description="Optimizer steps")
    batch_size: int = Field(32, ge=1, description="Utterances per step")
    lr: float = Field(1e-3, gt=0, description="Peak learning rate")
    warmup_steps: int = Field(100, ge=0)
    weight_decay: float = Field(0.01, ge=0)
    clip_norm: float = Field(1.0, gt=0)
    spec_augment: bool = Field(True, description="Mask random time spans and feature bands")
    eval_every: int = Field(500, ge=1, description="Steps between held-out WER measurements")
    eval_limit: int = Field(200, ge=1, description="Held-out utterances per manifest")
    checkpoint_every: int = Field(250, ge=1)
    max_frames: int = Field(1500, ge=1, description="Utterances with more frames are skipped")
    seed: int = 0
