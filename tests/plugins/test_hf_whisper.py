"""Whisper encoder from a local save_pretrained directory (tiny random model, no hub)."""
from __future__ import annotations

import pytest

from salad.testing import SpeechEncoderContract

pytest.importorskip("transformers", reason="pip install transformers")
torch = pytest.importorskip("torch")


class TestHFWhisperContract(SpeechEncoderContract):
    component_name = "salad.hf_whisper_encoder.v1"
    config = {"dim": 64, "context_seconds": 2.0}

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record, tiny_whisper_dir):
        return record.build({**cls.config, "model": str(tiny_whisper_dir)})


def test_shorter_context_matches_transformers_on_truncated_table(tiny_whisper_dir):
    from salad_plugins.whisper_encoder.factories import build_hf
    from salad_plugins.whisper_encoder.features import log_mel
    from salad_plugins.whisper_encoder.hooks import HFWhisperConfig
    from transformers import WhisperModel

    enc = build_hf(HFWhisperConfig(model=str(tiny_whisper_dir), dim=64, context_seconds=1.0))
    wave = torch.randn(1, 16000) * 0.1
    frames, lengths = enc.encode(wave, torch.tensor([16000]))
    assert lengths.tolist() == [50] and frames.shape == (1, 50, 64)
    # reference: the stock encoder's layers on the same 50 positions, computed by hand
    ref_enc = WhisperModel.from_pretrained(tiny_whisper_dir).get_encoder().eval()
    with torch.no_grad():
        x = torch.nn.functional.gelu(ref_enc.conv1(log_mel(wave)))
        x = torch.nn.functional.gelu(ref_enc.conv2(x)).permute(0, 2, 1)
        x = x + ref_enc.embed_positions.weight[:50]
        for layer in ref_enc.layers:
            x = layer(x, None)
        x = ref_enc.layer_norm(x)
    assert torch.allclose(frames, x, atol=1e-5)
