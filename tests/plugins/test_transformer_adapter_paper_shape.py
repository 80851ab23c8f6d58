"""Grouped-query attention and the SwiGLU feed-forward of the Transformer adapter (the paper's
15 heads, 5 KV heads, gated MLP)."""

from __future__ import annotations

import pytest
import torch

from salad.core.plugin_host import get_host


def _adapter(**config):
    torch.manual_seed(0)
    return get_host().registry("adapter").build(
        "salad.transformer_adapter.v1",
        {"input_dim": 16, "output_dim": 8, "hidden_dim": 60, "num_heads": 15, **config})


def test_kv_heads_shrink_the_key_value_projection_and_stay_causal():
    full, grouped = _adapter(), _adapter(num_kv_heads=5)
    width, kv = 60, 60 // 15 * 5
    assert grouped.blocks[0].qkv.out_features == width + 2 * kv
    assert full.blocks[0].qkv.out_features == 3 * width
    frames = torch.randn(1, 24, 16)
    out, _ = grouped(frames, torch.tensor([24]))
    changed = frames.clone()
    changed[:, 12:] += 1.0  # later frames must not change earlier outputs (downsample 4)
    out2, _ = grouped(changed, torch.tensor([24]))
    assert torch.allclose(out[:, :3], out2[:, :3], atol=1e-6)


def test_kv_heads_must_divide_heads():
    with pytest.raises(Exception, match="num_kv_heads=4 must divide num_heads=15"):
        _adapter(num_kv_heads=4)


def test_swiglu_blocks_have_three_matrices_and_stay_causal():
    gated = _adapter(ffn="swiglu", ffn_dim=40)
    assert [m.out_features for m in (gated.blocks[0].ffn.gate, gated.blocks[0].ffn.up,
                                     gated.blocks[0].ffn.down)] == [40, 40, 60]
    frames = torch.randn(1, 24, 16)
    out, _ = gated(frames, torch.tensor([24]))
    changed = frames.clone()
    changed[:, 12:] -= 1.0
    out2, _ = gated(changed, torch.tensor([24]))
    assert torch.allclose(out[:, :3], out2[:, :3], atol=1e-6)
