"""The device choice and dtype policy (salad.training.device), checked as logic on any machine;
the ``gpu`` tests run the same code on a real CUDA device and are skipped without one."""

from __future__ import annotations

import pytest
import torch

from salad.core.errors import SaladError
from salad.training.device import precision_for, resolve_device

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("spec,available,expected", [
    ("cpu", True, "cpu"), ("cpu", False, "cpu"), ("auto", False, "cpu"),
    ("auto", True, "cuda:0"), ("cuda", True, "cuda:0")])
def test_resolve_device(spec, available, expected):
    assert str(resolve_device(spec, cuda_available=available)) == expected


def test_resolve_device_picks_the_local_rank_gpu():
    assert resolve_device("auto", local_rank=3, cuda_available=True) == torch.device("cuda", 3)


def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(SaladError, match="device: cuda.*no CUDA device"):
        resolve_device("cuda", cuda_available=False)
    with pytest.raises(SaladError, match="not one of auto, cpu, cuda"):
        resolve_device("tpu")


def test_cpu_policy_is_fp32_unless_asked():
    cpu = torch.device("cpu")
    plain = precision_for(cpu)
    assert plain.autocast_dtype is None and not plain.fused_adamw and not plain.pin_memory
    assert precision_for(cpu, bf16=True).autocast_dtype == torch.bfloat16
    with plain.autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with precision_for(cpu, bf16=True).autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


def test_cuda_policy_is_bf16_with_fused_adamw_and_pinned_memory():
    policy = precision_for(torch.device("cuda", 0), bf16_supported=True)
    assert policy.autocast_dtype == torch.bfloat16 and policy.fused_adamw and policy.pin_memory
    assert precision_for(torch.device("cuda", 0), bf16=False,
                         bf16_supported=True).autocast_dtype is None
    assert precision_for(torch.device("cuda", 0), bf16_supported=False).autocast_dtype is None
    with pytest.raises(SaladError, match="does not support bfloat16"):
        precision_for(torch.device("cuda", 0), bf16=True, bf16_supported=False)


def test_recipe_device_is_validated(tmp_path):
    from .conftest import run_salad

    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\ndevice: gpu\nplugins: {}\n", encoding="utf-8")
    result = run_salad("validate", str(recipe))
    assert result.returncode != 0
    assert "device" in result.stdout + result.stderr


@pytest.mark.gpu
@cuda
def test_stage1_trains_on_cuda_in_bf16(tmp_path, tiny_lm):
    from .helpers.tiny_stage1 import tiny_trainer

    device = resolve_device("cuda")
    trainer = tiny_trainer(tmp_path, tiny_lm, bf16=None, steps=4, eval_every=2,
                           checkpoint_every=2, device=device)
    assert trainer.precision.autocast_dtype == torch.bfloat16
    assert next(trainer.model.parameters()).device.type == "cuda"
    summary = trainer.run(progress=False)
    assert summary["step"] == 4
    assert summary["history"][-1]["misalignment"] < summary["history"][0]["misalignment"]


@pytest.mark.gpu
@cuda
def test_batch_moves_to_cuda_through_pinned_memory():
    from salad.speech.interleave import Segment, build_layout, collate

    batch = collate([build_layout([Segment((5, 6, 7))], 1)])
    moved = batch.to(torch.device("cuda", 0), pin_memory=True)
    assert moved.student_ids.is_cuda and torch.equal(moved.targets.cpu(), batch.targets)
