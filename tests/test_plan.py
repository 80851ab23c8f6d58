"""`salad plan`: LM shapes count parameters exactly, and the command prints a plan offline."""

from __future__ import annotations

import pytest

from salad.core.errors import SaladError
from salad.training.plan import KNOWN_LMS, PlanInput, lm_shape, plan

from .conftest import run_salad


def test_parameter_count_of_a_local_checkpoint_matches_the_model(tiny_lm_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    assert lm_shape(str(tiny_lm_dir)).params == sum(p.numel() for p in model.parameters())


def test_qwen2_shapes_count_like_transformers():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    shape = KNOWN_LMS["Qwen/Qwen2.5-3B"]
    small = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, intermediate_size=96, vocab_size=128)
    for tied in (True, False):
        model = Qwen2ForCausalLM(Qwen2Config(**small, tie_word_embeddings=tied))
        twin = type(shape)(64, 2, 4, 2, 96, 128, tied=tied, qkv_bias=True)
        assert twin.params == sum(p.numel() for p in model.parameters())


def test_unknown_hub_model_is_a_clear_error():
    with pytest.raises(SaladError, match="does not know the shape"):
        lm_shape("someone/unknown-lm")


def test_fsdp_divides_the_training_state_and_ddp_does_not():
    base = dict(student=KNOWN_LMS["Qwen/Qwen2.5-3B"], teacher=None, adapter_params=0, gpus=8,
                gpu_memory_gb=80, batch_size=1, grad_accum=8, steps=10, seq_len=2048,
                activation_checkpointing=True, mfu=0.4, peak_tflops=989)
    fsdp = dict(plan(PlanInput(strategy="fsdp", **base)))
    ddp = dict(plan(PlanInput(strategy="ddp", **base)))
    w_fsdp = float(fsdp["memory/GPU: AdamW moments (fp32)"].split()[0])
    w_ddp = float(ddp["memory/GPU: AdamW moments (fp32)"].split()[0])
    assert w_ddp == pytest.approx(8 * w_fsdp, rel=0.01)


def test_plan_command_on_the_paper_recipe():
    result = run_salad("plan", "recipes/paper/salad-3b.yaml", "--gpus", "8", "--gpu-memory",
                       "80", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    for label in ("student parameters", "memory/GPU: total", "throughput", "wall time"):
        assert label in result.stdout


def test_plan_counts_whole_rounds_to_reach_batch_tokens():
    """salad-3b's round: 8 windows x 64 micro-batches x 2,048 tokens = 1,048,576 tokens;
    2,000,000 tokens take two rounds."""
    result = run_salad("plan", "recipes/paper/salad-3b.yaml", "--gpus", "8", "--gpu-memory",
                       "80", "stages.0.config.batch_tokens=2000000", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    assert "1024 windows = 2,097,152 tokens" in result.stdout


def test_a_sharded_teacher_takes_its_share_of_each_gpu():
    base = dict(student=KNOWN_LMS["Qwen/Qwen2.5-3B"], teacher=KNOWN_LMS["Qwen/Qwen2.5-3B"],
                adapter_params=0, strategy="fsdp", gpus=8, gpu_memory_gb=80, batch_size=1,
                grad_accum=8, steps=10, seq_len=2048, activation_checkpointing=True, mfu=0.4,
                peak_tflops=989)
    whole = dict(plan(PlanInput(**base)))["memory/GPU: teacher (bf16, frozen, replicate)"]
    part = dict(plan(PlanInput(**base, teacher_sharding="fsdp")))[
        "memory/GPU: teacher (bf16, frozen, fsdp)"]
    assert float(whole.split()[0]) == pytest.approx(8 * float(part.split()[0]), rel=0.02)
