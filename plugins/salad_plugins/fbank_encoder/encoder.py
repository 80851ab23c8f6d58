from __future__ import annotations

import math

import numpy as np
import torch

from .hooks import FbankConfig


def mel_filterbank(n_fft: int, n_mels: int, sample_rate: int) -> np.ndarray:
    """Slaney-style triangular filters on the HTK mel scale, shape (n_mels, n_fft // 2 + 1)."""

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - freqs[None]) / np.maximum(upper - centre, 1e-9)
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    weights *= (2.0 / np.maximum(upper - lower, 1e-9))
    return weights.astype(np.float32)


class FbankEncoder(torch.nn.Module):
    """``(B, S)`` waveforms -> ``(B, T, n_mels)`` normalised log-mel frames; no parameters."""

    def __init__(self, config: FbankConfig):
        super().__init__()
        self.config = config
        self.sample_rate = config.sample_rate
        self.output_dim = config.n_mels
        self.hop = int(round(config.sample_rate * config.hop_ms / 1000))
        self.win = int(round(config.sample_rate * config.win_ms / 1000))
        self.n_fft = 2 ** math.ceil(math.log2(self.win))
        self.frame_rate = config.sample_rate / self.hop
        self.register_buffer("window", torch.hann_window(self.win), persistent=False)
        self.register_buffer(
            "mel", torch.from_numpy(mel_filterbank(self.n_fft, config.n_mels, config.sample_rate)),
            persistent=False)

    def cache_key(self) -> str:
        c = self.config
        return f"fbank-v1-{c.n_mels}-{c.sample_rate}-{c.hop_ms}-{c.win_ms}"

    @torch.no_grad()
    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        spec = torch.stft(waveforms.float(), self.n_fft, hop_length=self.hop, win_length=self.win,
                          window=self.window, center=True, return_complex=True)
        power = spec.abs().pow(2)  # (B, F, T)
        logmel = torch.log(torch.clamp(self.mel @ power, min=1e-10)).transpose(1, 2)
        frames = torch.div(lengths, self.hop, rounding_mode="floor") + 1
        frames = torch.clamp(frames, max=logmel.shape[1])
        mask = torch.arange(logmel.shape[1])[None, :] < frames[:, None]
        mean = (logmel * mask[..., None]).sum(1, keepdim=True) / frames[:, None, None]
        logmel = (logmel - mean) / 4.0
        return logmel * mask[..., None], frames

    def forward(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        return self.encode(waveforms, lengths)
