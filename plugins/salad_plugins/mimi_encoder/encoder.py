"""Frozen Mimi encoder: 16 kHz waveforms -> resampled to Mimi's rate -> 12.5 Hz latents.

Each item is resampled on its own (polyphase, scipy) and zero-padded to whole Mimi frames, so an
item's frames do not depend on the rest of the batch. Mimi's convolutions and attention are
causal, so the right padding of a batch does not reach earlier frames.
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import torch
from torch import nn

from salad import SaladError

from .hooks import MimiEncoderConfig

INPUT_RATE = 16000


def _latents(model, x: torch.Tensor) -> torch.Tensor:
    """``(B, 1, S)`` -> ``(B, D, T)`` continuous latents, across transformers versions."""
    if hasattr(model.encoder, "encoder_seanet"):  # encoder half as its own module
        return model.encoder(x).latents
    emb = model.encoder(x)  # older layout: SEANet, transformer and downsample on the model
    hidden = model.encoder_transformer(emb.transpose(1, 2))[0].transpose(1, 2)
    return model.downsample(hidden)


class MimiSpeechEncoder(nn.Module):
    sample_rate = INPUT_RATE

    def __init__(self, model, config: MimiEncoderConfig, identity: str):
        super().__init__()
        self.model = model.eval().requires_grad_(False)
        self.config = config
        self.mimi_rate = int(model.config.sampling_rate)
        self.frame_rate = float(model.config.frame_rate)
        self.hop = round(self.mimi_rate / self.frame_rate)
        g = math.gcd(self.mimi_rate, INPUT_RATE)
        self.up, self.down = self.mimi_rate // g, INPUT_RATE // g
        with torch.no_grad():
            probe = self._frames(torch.zeros(1, 1, self.hop))
        self.output_dim = int(probe.shape[-1])
        self._key = f"mimi|{identity}|{config.output}|{config.num_quantizers}"

    def cache_key(self) -> str:
        return "mimi-" + hashlib.sha256(self._key.encode()).hexdigest()[:16]

    def train(self, mode: bool = True):  # frozen
        return super().train(False)

    def _frames(self, x: torch.Tensor) -> torch.Tensor:
        latents = _latents(self.model, x)
        if self.config.output == "quantized":
            codes = self.model.quantizer.encode(latents, self.config.num_quantizers)
            latents = self.model.quantizer.decode(codes)
        return latents.transpose(1, 2).float()

    def _resample(self, wave: np.ndarray) -> np.ndarray:
        from scipy.signal import resample_poly

        if len(wave) == 0:
            return wave
        return resample_poly(wave, self.up, self.down).astype(np.float32)

    @torch.no_grad()
    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        if waveforms.ndim != 2:
            raise SaladError(f"waveforms must be (batch, samples), got {tuple(waveforms.shape)}")
        lens = lengths.long().clamp(min=0, max=waveforms.shape[1]).tolist()
        items = [self._resample(waveforms[i, :n].float().cpu().numpy())
                 for i, n in enumerate(lens)]
        counts = [math.ceil(len(a) / self.hop) for a in items]
        width = max(1, max(counts)) * self.hop
        outputs = []
        for start in range(0, len(items), self.config.batch_size):
            chunk = items[start:start + self.config.batch_size]
            batch = torch.zeros(len(chunk), 1, width)
            for row, a in enumerate(chunk):
                batch[row, 0, : len(a)] = torch.from_numpy(a)
            outputs.append(self._frames(batch.to(waveforms.device)))
        frames = torch.cat(outputs)[:, : max(1, max(counts))]
        frame_lengths = torch.tensor(counts, dtype=torch.long)
        valid = torch.arange(frames.shape[1])[None, :] < frame_lengths[:, None]
        return frames * valid[..., None].to(frames.device), frame_lengths

    def forward(self, waveforms: torch.Tensor, lengths: torch.Tensor):
        return self.encode(waveforms, lengths)


def build_mimi(config: MimiEncoderConfig) -> MimiSpeechEncoder:
    try:
        from transformers import MimiModel
    except ImportError as exc:
        raise SaladError("salad.mimi_encoder.v1 needs transformers with Mimi: "
                         "pip install 'transformers>=4.45' scipy") from exc
    kwargs = {"revision": config.revision} if config.revision else {}
    try:
        model = MimiModel.from_pretrained(config.model, **kwargs)
    except OSError as exc:
        raise SaladError(f"cannot load Mimi model {config.model!r}: {exc}") from exc
    commit = getattr(model.config, "_commit_hash", None) or ""
    h = hashlib.sha256()
    for name, tensor in sorted(model.encoder.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().contiguous().numpy().tobytes())
    return MimiSpeechEncoder(model, config, f"{config.model}@{commit}:{h.hexdigest()}")
