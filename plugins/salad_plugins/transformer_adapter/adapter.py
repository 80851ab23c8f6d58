"""Causal Transformer adapter: frame stacking, input projection, pre-norm blocks, output projection.

Attention is causal (``scaled_dot_product_attention(is_causal=True)``) with rotary positions.
Batches are right-padded, so for every valid step ``t`` all keys ``<= t`` are valid: causality
already excludes the padding from every valid output, and padded outputs are zeroed. Output step
``t`` depends only on input frames ``< (t + 1) * downsample``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from salad_plugins.mlp_adapter.adapter import stack_frames

from .hooks import TransformerAdapterConfig


def rotary_tables(steps: int, head_dim: int, base: float, device) -> tuple[torch.Tensor, ...]:
    inv = base ** (-torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(steps, device=device, dtype=torch.float32), inv)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """``x``: ``(B, H, T, head_dim)``; rotates pairs (first half, second half)."""
    a, b = x.float().chunk(2, dim=-1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1).type_as(x)


class SwiGLU(nn.Module):
    """Gated feed-forward: ``down(silu(gate(x)) * up(x))``."""

    def __init__(self, width: int, ffn: int, dropout: float):
        super().__init__()
        self.gate = nn.Linear(width, ffn)
        self.up = nn.Linear(width, ffn)
        self.down = nn.Linear(ffn, width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.drop(F.silu(self.gate(x)) * self.up(x)))


class CausalBlock(nn.Module):
    """Pre-norm block; ``kv_heads < heads`` is grouped-query attention (each key/value head
    serves ``heads / kv_heads`` query heads)."""

    def __init__(self, width: int, heads: int, ffn: int, dropout: float,
                 kv_heads: int | None = None, gated: bool = False):
        super().__init__()
        self.heads = heads
        self.kv_heads = kv_heads or heads
        self.dropout = dropout
        kv_width = width // heads * self.kv_heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, width + 2 * kv_width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.ffn = SwiGLU(width, ffn, dropout) if gated else nn.Sequential(
            nn.Linear(width, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, t, w = x.shape
        head = w // self.heads
        q, k, v = self.qkv(self.norm1(x)).split(
            [w, head * self.kv_heads, head * self.kv_heads], dim=-1)
        q = q.view(b, t, self.heads, head).transpose(1, 2)
        k, v = (z.view(b, t, self.kv_heads, head).transpose(1, 2) for z in (k, v))
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                             dropout_p=self.dropout if self.training else 0.0,
                                             enable_gqa=self.kv_heads != self.heads)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(b, t, w)))
        return x + self.drop(self.ffn(self.norm2(x)))


class TransformerAdapter(nn.Module):
    """``(B, T, input_dim)`` frames -> ``(B, ceil(T / downsample), output_dim)``."""

    def __init__(self, config: TransformerAdapterConfig):
        super().__init__()
        self.config = config
        self.input_dim = config.input_dim
        self.output_dim = config.output_dim
        self.downsample = config.downsample
        width = config.hidden_dim
        self.head_dim = width // config.num_heads
        self.input_proj = nn.Linear(config.input_dim * config.downsample, width)
        self.blocks = nn.ModuleList(
            CausalBlock(width, config.num_heads, config.ffn_dim or 4 * width, config.dropout,
                        config.kv_heads, gated=config.ffn == "swiglu")
            for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(width)
        self.output_proj = nn.Linear(width, config.output_dim)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor):
        # zero the padding so a partly filled last step does not see it
        keep = torch.arange(frames.shape[1], device=frames.device)[None, :] < lengths[:, None]
        frames = frames * keep[..., None].to(frames.dtype)
        stacked, out_lengths = stack_frames(frames, lengths, self.downsample)
        x = self.input_proj(stacked)
        cos, sin = rotary_tables(x.shape[1], self.head_dim, self.config.rope_base, x.device)
        for block in self.blocks:
            x = block(x, cos, sin)
        out = self.output_proj(self.norm(x))
        valid = torch.arange(out.shape[1], device=out.device)[None, :] < out_lengths[:, None]
        return out * valid[..., None].to(out.dtype), out_lengths
