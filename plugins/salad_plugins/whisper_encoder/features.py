"""Whisper log-mel features in torch, numerically the same recipe as ``WhisperFeatureExtractor``.

16 kHz audio, 400-point STFT (periodic Hann), hop 160 (100 frames/s), Slaney-normalised mel
filters over 0-8 kHz, log10, floor at (max - 8), then ``(x + 4) / 4``; the max is taken per
example over the whole (padded) window, as Whisper does per 30-s segment.
"""
from __future__ import annotations

import functools

import torch

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
SAMPLES_PER_FRAME = 2 * HOP  # encoder frames: 50 Hz after the stride-2 convolution


@functools.lru_cache(maxsize=4)
def mel_filters(n_mels: int) -> torch.Tensor:
    """``(n_mels, n_fft // 2 + 1)`` filters as in Whisper's ``mel_filters.npz`` (librosa Slaney)."""
    from transformers.audio_utils import mel_filter_bank

    bank = mel_filter_bank(num_frequency_bins=1 + N_FFT // 2, num_mel_filters=n_mels,
                           min_frequency=0.0, max_frequency=8000.0, sampling_rate=SAMPLE_RATE,
                           norm="slaney", mel_scale="slaney")
    return torch.from_numpy(bank.T.copy()).float()


def log_mel(waves: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """``(B, S)`` float waveforms -> ``(B, n_mels, S // HOP)`` normalised log-mel features."""
    window = torch.hann_window(N_FFT, device=waves.device)
    stft = torch.stft(waves.float(), N_FFT, HOP, window=window, return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = mel_filters(n_mels).to(waves.device) @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    peak = log_spec.amax(dim=(1, 2), keepdim=True)
    log_spec = torch.maximum(log_spec, peak - 8.0)
    return (log_spec + 4.0) / 4.0
