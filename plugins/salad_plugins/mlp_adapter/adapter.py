from __future__ import annotations

import torch
from torch import nn

from .hooks import MLPAdapterConfig


def stack_frames(frames: torch.Tensor, lengths: torch.Tensor, k: int):
    """``(B, T, D)`` -> ``(B, ceil(T / k), k * D)``, zero-padding the tail."""
    b, t, d = frames.shape
    pad = (-t) % k
    if pad:
        frames = torch.nn.functional.pad(frames, (0, 0, 0, pad))
    stacked = frames.reshape(b, (t + pad) // k, k * d)
    return stacked, torch.div(lengths + k - 1, k, rounding_mode="floor")


class MLPAdapter(nn.Module):
    def __init__(self, config: MLPAdapterConfig):
        super().__init__()
        self.config = config
        self.input_dim = config.input_dim
        self.output_dim = config.output_dim
        self.downsample = config.downsample
        self.net = nn.Sequential(
            nn.Linear(config.input_dim * config.downsample, config.hidden_dim),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden_dim, config.output_dim),
        )

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor):
        stacked, out_lengths = stack_frames(frames, lengths, self.downsample)
        return self.net(stacked), out_lengths
