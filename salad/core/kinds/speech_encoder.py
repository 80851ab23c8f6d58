"""Speech encoders: frozen models turning 16 kHz waveforms into frame features."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import torch


@runtime_checkable
class SpeechEncoder(Protocol):
    """Frozen encoder: ``(B, S)`` 16 kHz waveforms -> ``(B, T, output_dim)`` frames."""

    output_dim: int
    sample_rate: int
    frame_rate: float

    def cache_key(self) -> str:
        """Identity of weights and config; features cached under it stay valid."""

    def encode(
        self, waveforms: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return frames ``(B, T, D)`` and valid frame counts ``(B,)``."""


class SpeechEncoderChecks:
    def _waves(self, component):
        import torch

        g = torch.Generator().manual_seed(0)
        sr = component.sample_rate
        t = torch.arange(sr) / sr
        tone = 0.3 * torch.sin(2 * torch.pi * 220 * t) + 0.01 * torch.randn(sr, generator=g)
        waves = torch.stack([tone, tone.clone()])
        waves[1, sr // 2:] = 0
        return waves, torch.tensor([sr, sr // 2])

    def test_encode_shapes(self, record, component):
        waves, lengths = self._waves(component)
        frames, frame_lengths = component.encode(waves, lengths)
        assert frames.ndim == 3 and frames.shape[0] == 2
        assert frames.shape[2] == component.output_dim
        assert frame_lengths.tolist()[0] >= frame_lengths.tolist()[1] > 0
        assert frame_lengths.max().item() <= frames.shape[1]
        rate = frame_lengths[0].item()  # frames for one second of audio
        assert abs(rate - component.frame_rate) <= 0.1 * component.frame_rate + 2
        assert bool(frames.isfinite().all())
        self._assert_ports_match(record, component, ("output_dim", "sample_rate"))

    def test_encode_is_deterministic_and_keyed(self, component):
        waves, lengths = self._waves(component)
        a, _ = component.encode(waves, lengths)
        b, _ = component.encode(waves, lengths)
        assert (a - b).abs().max().item() < 1e-5
        key = component.cache_key()
        assert isinstance(key, str) and key == component.cache_key()


KIND = Kind(
    key="speech_encoder", hook="salad_speech_encoders", title="speech encoder",
    description="Frozen model turning 16 kHz waveforms into frame features.",
    protocol=SpeechEncoder, contract="SpeechEncoderContract", checks=SpeechEncoderChecks,
    example="salad.fbank_encoder.v1", slot="encoder",
    ports=("output_dim", "sample_rate", "frame_rate"), required_ports=("output_dim", "sample_rate"),
    recipe_ports=(("sample_rate", "sample_rate"),), order=10,
)
