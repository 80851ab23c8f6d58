"""Mimi encoder from a local save_pretrained directory (tiny random model, no hub)."""
from __future__ import annotations

import pytest

from salad.testing import SpeechEncoderContract

pytest.importorskip("transformers", reason="pip install transformers")
pytest.importorskip("scipy", reason="pip install scipy")
torch = pytest.importorskip("torch")


class TestMimiContract(SpeechEncoderContract):
    component_name = "salad.mimi_encoder.v1"
    config = {"dim": 32}

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record, tiny_mimi_dir):
        return record.build({**cls.config, "model": str(tiny_mimi_dir)})


def _build(path, **kw):
    from salad_plugins.mimi_encoder.encoder import build_mimi
    from salad_plugins.mimi_encoder.hooks import MimiEncoderConfig

    return build_mimi(MimiEncoderConfig(model=str(path), dim=32, **kw))


def test_frames_do_not_depend_on_batch_padding(tiny_mimi_dir):
    enc = _build(tiny_mimi_dir)
    g = torch.Generator().manual_seed(1)
    waves = torch.randn(2, 16000, generator=g) * 0.1
    waves[1, 7000:] = torch.randn(9000, generator=g)  # garbage beyond the length
    frames, lengths = enc.encode(waves, torch.tensor([16000, 7000]))
    alone, n = enc.encode(waves[1:2, :7000], torch.tensor([7000]))
    # 7000 samples at 16 kHz -> 10500 at 24 kHz -> ceil(10500 / 1920) = 6 frames at 12.5 Hz
    assert lengths.tolist() == [13, 6] and n.tolist() == [6]
    assert torch.allclose(frames[1, :6], alone[0], atol=1e-4)
    assert frames[1, 6:].abs().max() == 0


def test_quantized_output(tiny_mimi_dir):
    latent = _build(tiny_mimi_dir)
    quant = _build(tiny_mimi_dir, output="quantized", num_quantizers=1)
    wave = torch.randn(1, 8000) * 0.1
    a, _ = latent.encode(wave, torch.tensor([8000]))
    b, _ = quant.encode(wave, torch.tensor([8000]))
    assert a.shape == b.shape and not torch.allclose(a, b)
    assert latent.cache_key() != quant.cache_key()
