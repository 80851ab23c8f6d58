from __future__ import annotations

import json

import numpy as np
import pytest

from salad import SaladError, get_host

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from salad.data.feature_cache import (  # noqa: E402
    FeatureCache,
    ManifestFeatures,
    encode_cached,
    precompute_manifest,
)


class CountingEncoder:
    """A real (filterbank) encoder that counts how many waveforms it encodes."""

    def __init__(self):
        self.inner = get_host().registry("speech_encoder").get("salad.fbank_encoder.v1").build({})
        self.sample_rate = self.inner.sample_rate
        self.encoded = 0

    def cache_key(self):
        return self.inner.cache_key()

    def encode(self, waves, lengths):
        self.encoded += waves.shape[0]
        return self.inner.encode(waves, lengths)


def _tone(seconds, freq):
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_miss_then_hit(tmp_path):
    enc = CountingEncoder()
    cache = FeatureCache(tmp_path, enc.cache_key())
    waves = [_tone(0.5, 200), _tone(1.0, 300), _tone(0.3, 400)]
    first = encode_cached(enc, cache, waves, batch_size=2)
    assert enc.encoded == 3 and [f.shape[0] for f in first] == [26, 51, 16]
    second = encode_cached(enc, cache, waves + [_tone(0.2, 500)])
    assert enc.encoded == 4  # only the new waveform was encoded
    for a, b in zip(first, second[:3], strict=True):
        assert torch.allclose(a, b, atol=1e-2)  # stored as fp16
    assert not list(tmp_path.rglob("*.tmp"))


def test_other_encoder_key_misses(tmp_path):
    enc = CountingEncoder()
    encode_cached(enc, FeatureCache(tmp_path, enc.cache_key()), [_tone(0.5, 200)])
    assert FeatureCache(tmp_path, "other-encoder").get("x" * 64) is None
    with pytest.raises(SaladError, match="cannot name a folder"):
        FeatureCache(tmp_path, "../escape")


def _manifest(tmp_path):
    sf = pytest.importorskip("soundfile")
    (tmp_path / "audio").mkdir()
    rows = []
    for i, freq in enumerate((200, 300, 400, 500)):
        sf.write(tmp_path / "audio" / f"u{i}.wav", _tone(0.4 + 0.1 * i, freq), 22050 if i % 2
                 else 16000)
        rows.append(json.dumps({"id": f"u{i}", "audio": f"audio/u{i}.wav", "text": "a tone"}))
    (tmp_path / "audio" / "bad.wav").write_bytes(b"not audio")
    rows.append(json.dumps({"id": "bad", "audio": "audio/bad.wav", "text": "noise"}))
    rows.append(json.dumps({"id": "gone", "audio": "audio/missing.wav", "text": "lost"}))
    rows.append("{not json")
    path = tmp_path / "speech.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_precompute_manifest_is_resumable_and_counts_failures(tmp_path):
    manifest = _manifest(tmp_path)
    enc = CountingEncoder()
    cold = precompute_manifest(manifest, enc, tmp_path / "cache", batch_size=3, progress=False)
    assert (cold.total, cold.computed, cold.cached, len(cold.failed)) == (7, 4, 0, 3)
    failed = {f.id or f.where: f for f in cold.failed}
    assert set(failed) == {"bad", "gone", f"{manifest}:7"}
    assert failed["gone"].where.endswith("missing.wav") and "invalid JSON" in failed[
        f"{manifest}:7"].reason
    warm = precompute_manifest(manifest, enc, tmp_path / "cache", progress=False)
    assert (warm.computed, warm.cached) == (0, 4) and enc.encoded == 4
    lookup = ManifestFeatures(FeatureCache(tmp_path / "cache", enc.cache_key()), warm.index)
    frames = lookup(["u1", "u0"])
    # u1: 8000 samples written as 22.05 kHz -> 5805 samples at 16 kHz -> 19 frames
    assert frames[0].shape[0] == 19 and frames[1].shape[0] == 21
    assert lookup.lengths() == {"u0": 21, "u1": 19, "u2": 31, "u3": 26}
    with pytest.raises(SaladError, match="no cached features for utterance 'bad'"):
        lookup(["bad"])


def test_a_cache_folder_that_cannot_be_made_stops_before_any_encoding(tmp_path):
    manifest = _manifest(tmp_path)
    root = tmp_path / "cache"
    root.symlink_to(tmp_path / "nowhere")  # a dangling link, e.g. to a folder not made yet
    enc = CountingEncoder()
    with pytest.raises(SaladError, match="cannot create the folder"):
        precompute_manifest(manifest, enc, root, progress=False)
    assert enc.encoded == 0
