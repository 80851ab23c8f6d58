"""The CTC head: stacked encoder frames -> a small bidirectional Transformer -> character
logits, and greedy CTC decoding that keeps the step at which each character was emitted."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

_NORMALIZE = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-",
              "\u2013": "-", "\u2026": "..."}


class Alphabet:
    """Characters of the head; index 0 is the CTC blank. Without upper-case letters in the
    alphabet, text is lower-cased first."""

    def __init__(self, chars: str):
        self.chars = chars
        self.index = {c: i + 1 for i, c in enumerate(chars)}
        self.cased = any(c.isupper() for c in chars)

    def __len__(self) -> int:
        return len(self.chars) + 1

    def normalize(self, text: str) -> str:
        """``text`` in the alphabet's characters: typographic quotes and dashes mapped, case
        folded when the alphabet has none, other letters and digits dropped, other
        characters (punctuation) turned into spaces, runs of spaces collapsed."""
        text = "".join(_NORMALIZE.get(c, c) for c in text)
        if not self.cased:
            text = text.lower()
        kept = (c if c in self.index else ("" if c.isalnum() else " ") for c in text)
        return " ".join("".join(kept).split())

    def encode(self, text: str) -> list[int]:
        return [self.index[c] for c in self.normalize(text)]


@dataclass
class Spelling:
    """Greedy CTC output of one utterance: the text and the head step of each character."""

    text: str
    steps: list[int]


def greedy_spellings(logits: torch.Tensor, lengths: torch.Tensor,
                     alphabet: Alphabet) -> list[Spelling]:
    """Best path per item: argmax per step, repeats merged, blanks dropped."""
    best = logits.argmax(-1).tolist()
    out = []
    for row, n in zip(best, lengths.tolist()):
        chars, steps, prev = [], [], 0
        for t, k in enumerate(row[:n]):
            if k != prev and k != 0:
                chars.append(alphabet.chars[k - 1])
                steps.append(t)
            prev = k
        out.append(Spelling("".join(chars), steps))
    return out


class _Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ffn = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(4 * width, width))
        self.drop = nn.Dropout(dropout)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        b, t, w = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, w // self.heads).unbind(2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=keep[:, None, None, :],
                                             dropout_p=self.dropout if self.training else 0.0)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(b, t, w)))
        return x + self.drop(self.ffn(self.norm2(x)))


class CTCHead(nn.Module):
    """``(B, T, D)`` frames -> ``(B, ceil(T / stack), classes)`` logits and hidden states.

    Attention is bidirectional inside an utterance (padding masked); a depthwise convolution
    gives the blocks relative position."""

    def __init__(self, input_dim: int, classes: int, stack: int, width: int, layers: int,
                 heads: int, dropout: float):
        super().__init__()
        self.stack = stack
        self.input_proj = nn.Linear(input_dim * stack, width)
        self.conv = nn.Conv1d(width, width, 5, padding=2, groups=width)
        self.blocks = nn.ModuleList(_Block(width, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.classifier = nn.Linear(width, classes)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor):
        b, t, d = frames.shape
        pad = (-t) % self.stack
        if pad:
            frames = F.pad(frames, (0, 0, 0, pad))
        steps = torch.div(lengths + self.stack - 1, self.stack, rounding_mode="floor")
        x = self.input_proj(frames.reshape(b, -1, d * self.stack))
        keep = torch.arange(x.shape[1], device=x.device)[None, :] < steps[:, None]
        x = x * keep[..., None].to(x.dtype)
        x = x + self.conv(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x, keep)
        hidden = self.norm(x)
        return self.classifier(hidden), steps, hidden


def spec_augment(frames: torch.Tensor, lengths: torch.Tensor, generator: torch.Generator,
                 time_masks: int = 2, max_time: int = 20, feature_masks: int = 2,
                 max_features: int = 48) -> torch.Tensor:
    """Zero random time spans and feature bands of each item (SpecAugment on frames)."""
    out = frames.clone()
    d = frames.shape[2]
    for i, n in enumerate(lengths.tolist()):
        for _ in range(time_masks):
            width = int(torch.randint(0, min(max_time, max(1, n // 8)) + 1, (1,),
                                      generator=generator))
            start = int(torch.randint(0, max(1, n - width) + 1, (1,), generator=generator))
            out[i, start:start + width] = 0
        for _ in range(feature_masks):
            width = int(torch.randint(0, max_features + 1, (1,), generator=generator))
            start = int(torch.randint(0, max(1, d - width) + 1, (1,), generator=generator))
            out[i, :, start:start + width] = 0
    return out
