"""Frozen Whisper encoder with a configurable (shorter) context and long-input chunking."""
from __future__ import annotations

import hashlib

import torch
from torch import nn

from salad import SaladError

from .features import SAMPLE_RATE, SAMPLES_PER_FRAME, log_mel

FRAME_RATE = SAMPLE_RATE / SAMPLES_PER_FRAME  # 50 Hz


def context_frames(context_seconds: float, max_positions: int) -> int:
    frames = round(context_seconds * FRAME_RATE)
    if not 1 <= frames <= max_positions:
        raise SaladError(f"context_seconds={context_seconds} gives {frames} encoder positions; "
                         f"this model has 1..{max_positions} "
                         f"({max_positions / FRAME_RATE:g} s at most)")
    return frames


def shorten_context(encoder: nn.Module, frames: int) -> nn.Module:
    """Keep the first ``frames`` rows of the positional table: the encoder then reads
    ``frames / 50`` seconds of audio (Whisper itself always reads 30 s)."""
    table = encoder.embed_positions.weight.data[:frames].clone()
    encoder.embed_positions = nn.Embedding(frames, table.shape[1])
    encoder.embed_positions.weight.data.copy_(table)
    encoder.config.max_source_positions = frames
    encoder.max_source_positions = frames
    return encoder


def keep_layers(encoder: nn.Module, layer: int | None) -> nn.Module:
    """``layer=k`` keeps the first k blocks and outputs block k's raw hidden state (as
    ``hidden_states[k]`` with ``output_hidden_states=True``); ``None`` keeps the full encoder."""
    n = len(encoder.layers)
    if layer is None or layer == n:
        return encoder
    if not 1 <= layer <= n:
        raise SaladError(f"layer={layer} is out of range: this encoder has layers 1..{n}")
    encoder.layers = encoder.layers[:layer]
    encoder.layer_norm = nn.Identity()
    return encoder


class WhisperSpeechEncoder(nn.Module):
    """``(B, S)`` 16 kHz waveforms -> ``(B, T, d_model)`` frames at 50 Hz.

    Audio longer than the context is cut into context-length windows, each padded and encoded
    like one Whisper segment, and the windows' frames are concatenated (``long_audio="chunk"``);
    with ``long_audio="error"`` such input raises instead. With ``overlap_seconds`` the windows
    overlap by that much and each frame is taken from the window where it lies farthest from an
    edge (half the overlap from each interior cut), so no word is encoded only at a window's
    edge; audio no longer than the context is encoded the same either way.
    """

    sample_rate = SAMPLE_RATE
    frame_rate = FRAME_RATE

    def __init__(self, encoder: nn.Module, *, n_mels: int, identity: str, context_seconds: float,
                 layer: int | None, long_audio: str = "chunk", batch_size: int = 8,
                 dtype: str = "float32", overlap_seconds: float = 0.0):
        super().__init__()
        frames = context_frames(context_seconds, encoder.embed_positions.weight.shape[0])
        encoder = keep_layers(shorten_context(encoder, frames), layer)
        self.dtype = getattr(torch, dtype)
        self.encoder = encoder.to(self.dtype).eval().requires_grad_(False)
        self.n_mels = n_mels
        self.output_dim = int(encoder.config.d_model)
        self.window = frames * SAMPLES_PER_FRAME
        self.long_audio = long_audio
        self.batch_size = batch_size
        self.context_seconds = frames / FRAME_RATE
        self.overlap = round(overlap_seconds * FRAME_RATE / 2) * 2  # frames, even
        if not 0 <= self.overlap < frames:
            raise SaladError(f"overlap_seconds={overlap_seconds} must be at least 0 and less "
                             f"than the context ({self.context_seconds:g} s)")
        settings = f"ctx={frames}|layer={layer}|dtype={dtype}"
        if self.overlap:
            settings += f"|overlap={self.overlap}"
        self._key = f"{identity}|{settings}"

    def cache_key(self) -> str:
        digest = hashlib.sha256(self._key.encode()).hexdigest()[:16]
        return f"whisper-{digest}"

    def train(self, mode: bool = True):  # frozen: always stays in eval mode
        return super().train(False)

    def windows(self, lengths: list[int]) -> list[tuple[int, int, int, int, int]]:
        """``(item, first sample, samples, first kept frame, end kept frame)`` per window; the
        kept frames (window-local) of an item's windows tile its frames exactly once."""
        window_frames = self.window // SAMPLES_PER_FRAME
        hop = window_frames - self.overlap
        out = []
        for item, n in enumerate(lengths):
            total = -(-n // SAMPLES_PER_FRAME)
            count = 1 if total <= window_frames else 1 + -(-(total - window_frames) // hop)
            if count > 1 and self.long_audio == "error":
                raise SaladError(
                    f"item {item}: {n / SAMPLE_RATE:.2f} s of audio is longer than the encoder "
                    f"context ({self.context_seconds:g} s); raise context_seconds or set "
                    "long_audio='chunk'")
            for j in range(count):
                first = j * hop
                keep_from = 0 if j == 0 else self.overlap // 2
                keep_to = total - first if j == count - 1 else hop + self.overlap // 2
                start = first * SAMPLES_PER_FRAME
                out.append((item, start, min(self.window, n - start), keep_from, keep_to))
        return out

    @torch.no_grad()
    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        if waveforms.ndim != 2:
            raise SaladError(f"waveforms must be (batch, samples), got {tuple(waveforms.shape)}")
        lens = lengths.long().clamp(min=0, max=waveforms.shape[1]).tolist()
        windows = self.windows(lens)
        pieces = waveforms.new_zeros(len(windows), self.window, dtype=torch.float32)
        for row, (item, start, n, _, _) in enumerate(windows):
            pieces[row, :n] = waveforms[item, start:start + n]
        hidden = []
        for i in range(0, len(windows), self.batch_size):
            feats = log_mel(pieces[i:i + self.batch_size], self.n_mels).to(self.dtype)
            hidden.append(self.encoder(feats).last_hidden_state.float())
        hidden = torch.cat(hidden)
        per_item: list[list[torch.Tensor]] = [[] for _ in lens]
        for row, (item, _, _, keep_from, keep_to) in enumerate(windows):
            per_item[item].append(hidden[row, keep_from:keep_to])
        parts = [torch.cat(p) for p in per_item]
        frame_lengths = torch.tensor([p.shape[0] for p in parts], dtype=torch.long)
        frames = hidden.new_zeros(len(parts), max(1, int(frame_lengths.max())), self.output_dim)
        for item, p in enumerate(parts):
            frames[item, : p.shape[0]] = p
        return frames, frame_lengths

    def forward(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        return self.encode(waveforms, lengths)


def build_whisper_encoder(weights, n_heads: int, ffn_dim: int, n_layers: int, d_model: int,
                          n_mels: int, max_positions: int) -> nn.Module:
    """A ``transformers`` ``WhisperEncoder`` with the given shape, loaded from ``weights``."""
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    config = WhisperConfig(d_model=d_model, encoder_layers=n_layers,
                           encoder_attention_heads=n_heads, encoder_ffn_dim=ffn_dim,
                           num_mel_bins=n_mels, max_source_positions=max_positions,
                           decoder_layers=1, decoder_attention_heads=n_heads)
    config._attn_implementation = "sdpa"
    encoder = WhisperEncoder(config)
    missing, unexpected = encoder.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SaladError(f"converted Whisper encoder does not fit: missing {missing}, "
                         f"unexpected {unexpected}")
    return encoder
