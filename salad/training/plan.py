"""``salad plan``: what a recipe's Stage I needs on N GPUs, estimated before anything runs.

Nothing is downloaded. LM shapes come from the model's local ``config.json`` or, for hub ids,
from :data:`KNOWN_LMS` (the published configs); the adapter is built on the meta device, so
its parameter count is exact whatever the plugin. Memory per GPU, in GiB:

- student and adapter: fp32 weights (4 B/param), fp32 gradients (4), AdamW moments (8); FSDP2
  divides all three by the GPU count, DDP keeps them whole; FSDP2 also holds the gathered root
  (embeddings, head, adapter) during a step;
- activations of one micro-batch (``batch_size`` windows of ``seq_len`` tokens) in bf16:
  34 x tokens x hidden bytes per layer (Korthikanti et al. 2022, flash attention), only the
  layer inputs (2 bytes each) with activation checkpointing, plus one layer recomputed; and
  the fp32 logits at text positions, their log-softmax and its gradient (12 B x vocabulary);
- teacher: bf16 weights on every GPU (frozen; whole, or 1/N with ``teacher_sharding: fsdp``);
- encoder: 0 during training (its frames come from the feature cache, computed before).

Throughput: tokens/s = GPUs x peak x MFU / FLOPs per token, with FLOPs per token = 6 x trained
params (8 x with activation checkpointing, which recomputes the forward) + 2 x teacher params
(its top-k is computed once per window) + 12 x layers x hidden x seq_len (attention).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import SaladError

GIB = 1024**3


@dataclass(frozen=True)
class LMShape:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tied: bool
    qkv_bias: bool = False

    @property
    def params(self) -> int:
        h, kv = self.hidden, self.hidden // self.heads * self.kv_heads
        attn = h * (h + 2 * kv) + h * h + (h + 2 * kv if self.qkv_bias else 0)
        layer = attn + 3 * h * self.intermediate + 2 * h
        head = 0 if self.tied else self.vocab * h
        return self.vocab * h + self.layers * layer + h + head


# Published config.json values of the LMs the recipes name (hub ids), and the packaged one.
KNOWN_LMS: dict[str, LMShape] = {
    "Qwen/Qwen2.5-3B": LMShape(2048, 36, 16, 2, 11008, 151936, tied=True, qkv_bias=True),
    "Qwen/Qwen2.5-7B": LMShape(3584, 28, 28, 4, 18944, 152064, tied=False, qkv_bias=True),
    "smollm2-135m": LMShape(576, 30, 9, 3, 1536, 49152, tied=True),
    "HuggingFaceTB/SmolLM2-135M": LMShape(576, 30, 9, 3, 1536, 49152, tied=True),
}


def lm_shape(model: str) -> LMShape:
    """The shape of an LM named by a recipe: a local checkpoint's config.json, else the table."""
    config = Path(model).expanduser() / "config.json"
    if config.is_file():
        c = json.loads(config.read_text(encoding="utf-8"))
        c = c.get("text_config") or c
        return LMShape(c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"],
                       c.get("num_key_value_heads") or c["num_attention_heads"],
                       c["intermediate_size"], c["vocab_size"],
                       tied=bool(c.get("tie_word_embeddings", False)),
                       qkv_bias=bool(c.get("attention_bias", c.get("model_type") == "qwen2")))
    if model in KNOWN_LMS:
        return KNOWN_LMS[model]
    raise SaladError(f"salad plan does not know the shape of {model!r} (no config.json there and "
                     f"not one of {', '.join(KNOWN_LMS)}): point the recipe at a local "
                     "checkpoint directory")


@dataclass(frozen=True)
class PlanInput:
    student: LMShape
    teacher: LMShape | None
    adapter_params: int
    strategy: str
    gpus: int
    gpu_memory_gb: float
    batch_size: int          # windows per micro-batch per GPU
    grad_accum: int
    steps: int
    seq_len: int             # tokens per window
    activation_checkpointing: bool
    mfu: float
    peak_tflops: float
    teacher_sharding: str = "replicate"


def plan(p: PlanInput) -> list[tuple[str, str]]:
    """The plan as (label, value) rows."""
    s = p.student
    trained = s.params + p.adapter_params
    shard = p.gpus if p.strategy == "fsdp" else 1
    tokens = p.batch_size * p.seq_len
    per_layer = (2 if p.activation_checkpointing else 34) * tokens * s.hidden
    acts = s.layers * per_layer + (34 * tokens * s.hidden if p.activation_checkpointing else 0)
    logits = 12 * tokens * s.vocab
    gathered = 4 * (s.vocab * s.hidden * (1 if s.tied else 2) + p.adapter_params) \
        if p.strategy == "fsdp" else 0
    teacher = (2 * p.teacher.params if p.teacher else 0) \
        / (p.gpus if p.teacher_sharding == "fsdp" else 1)
    memory = {"weights (fp32)": 4 * trained / shard, "gradients (fp32)": 4 * trained / shard,
              "AdamW moments (fp32)": 8 * trained / shard, "gathered root (FSDP2)": gathered,
              "activations (bf16)": acts, "logits (fp32, text positions)": logits,
              f"teacher (bf16, frozen, {p.teacher_sharding})": teacher,
              "encoder (features cached)": 0}
    total = sum(memory.values())
    flops = (8 if p.activation_checkpointing else 6) * trained \
        + (2 * p.teacher.params if p.teacher else 0) + 12 * s.layers * s.hidden * p.seq_len
    rate = p.gpus * p.peak_tflops * 1e12 * p.mfu / flops
    budget = p.steps * p.batch_size * p.grad_accum * p.seq_len
    hours = budget / rate / 3600
    fits = "fits" if total <= p.gpu_memory_gb * 1e9 else "DOES NOT FIT: lower batch_size"
    rows = [("student parameters", f"{s.params / 1e9:.3f} B"),
            ("adapter parameters", f"{p.adapter_params / 1e6:.1f} M"),
            ("teacher parameters", f"{p.teacher.params / 1e9:.3f} B" if p.teacher else "none"),
            ("GPUs, strategy", f"{p.gpus} x {p.gpu_memory_gb:g} GB, {p.strategy}"),
            ("micro-batch per GPU", f"{p.batch_size} windows x {p.seq_len} tokens"
                                    f" = {tokens:,} tokens"),
            ("global batch", f"{p.batch_size * p.grad_accum} windows = "
                             f"{p.batch_size * p.grad_accum * p.seq_len:,} tokens")]
    rows += [(f"memory/GPU: {k}", f"{v / GIB:.1f} GiB") for k, v in memory.items()]
    rows += [("memory/GPU: total", f"{total / GIB:.1f} GiB of {p.gpu_memory_gb:g} GB ({fits})"),
             ("FLOPs per token", f"{flops / 1e9:.1f} GFLOP"),
             ("assumed", f"MFU {p.mfu:.0%} of {p.peak_tflops:g} TFLOP/s bf16 per GPU"),
             ("throughput", f"{rate:,.0f} tokens/s"),
             ("token budget", f"{budget / 1e9:.2f} B tokens ({p.steps:,} steps)"),
             ("wall time", f"{hours:,.1f} h ({hours / 24:.1f} days)")]
    return rows
