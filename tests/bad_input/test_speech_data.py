"""Bad speech manifests and audio: in long jobs each bad item is skipped and counted with its
reason; non-finite values never reach the feature cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salad import get_host
from salad.data.feature_cache import FeatureCache, precompute_manifest
from salad.data.manifests import read_speech_manifest, read_text_manifest

from .conftest import tone, write_jsonl, write_wav

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def encoder():
    return get_host().registry("speech_encoder").build("salad.fbank_encoder.v1", {"n_mels": 40})


def _row(rid, audio, text="some words"):
    return {"id": rid, "audio": str(audio), "text": text, "domains": ["d"]}


def _reasons(report) -> dict[str, str]:
    return {f.id or f.where: f.reason for f in report.failed}


def test_bad_audio_is_skipped_with_its_reason_and_never_cached(tmp_path, encoder):
    good = write_wav(tmp_path / "good.wav", tone())
    nan = write_wav(tmp_path / "nan.wav", np.full(8000, np.nan, np.float32), subtype="FLOAT")
    empty = write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32))
    whole = write_wav(tmp_path / "whole.wav", tone(1.0)).read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 2])
    manifest = write_jsonl(tmp_path / "m.jsonl", [
        _row("good", good), _row("nan", nan), _row("empty", empty),
        _row("cut", tmp_path / "cut.wav")])
    report = precompute_manifest(manifest, encoder, tmp_path / "cache", batch_size=4,
                                 progress=False)
    reasons = _reasons(report)
    assert set(reasons) == {"nan", "empty", "cut"} and set(report.index) == {"good"}
    assert reasons["nan"] == "non-finite audio samples (NaN or inf)"
    assert reasons["empty"] == "empty audio (0 samples)"
    assert "truncated WAV: the header declares 32000 bytes of samples, the file holds" \
        in reasons["cut"]
    cached = list((tmp_path / "cache").rglob("*.safetensors"))
    assert len(cached) == 1  # only the good utterance


def test_bad_manifest_lines_are_reported_with_file_and_line(tmp_path, encoder):
    good = write_wav(tmp_path / "good.wav", tone())
    path = tmp_path / "m.jsonl"
    lines = [json.dumps(_row("a", good)), json.dumps(_row("b", good, text="   ")),
             json.dumps({**_row("c", good), "id": ["c"]}), json.dumps(_row("a", good, "other")),
             json.dumps({**_row("d", good), "duration": "long"})]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "e", "text": "caf\xe9"}\n')
    read = read_speech_manifest(path)
    assert [r.id for r in read.records] == ["a"]
    errors = {e.line: e.error for e in read.errors}
    assert errors == {
        2: "field 'text' must be a non-empty string (empty)",
        3: "field 'id' must be a non-empty string (a list)",
        4: "duplicate id 'a' (first at line 1)",
        5: "field 'duration' has the wrong type (str)",
        6: "not UTF-8 (byte 0xe9 at column 25)",
    }
    report = precompute_manifest(path, encoder, tmp_path / "cache", progress=False)
    assert report.total == 6 and len(report.failed) == 5
    assert {f.where for f in report.failed} == {f"{path}:{n}" for n in range(2, 7)}


def test_a_failing_encoder_call_fails_one_utterance_not_the_batch(tmp_path, encoder):
    class Fussy:
        """The fbank encoder, except that it refuses any batch holding a short utterance."""

        sample_rate, output_dim = encoder.sample_rate, encoder.output_dim

        def cache_key(self):
            return "fussy"

        def encode(self, waves, lengths):
            if int(lengths.min()) < 4000:
                raise RuntimeError("input too short for the encoder")
            return encoder.encode(waves, lengths)

    rows = [_row(f"u{i}", write_wav(tmp_path / f"u{i}.wav", tone(0.5, 200 + 50 * i)))
            for i in range(5)]
    rows.append(_row("short", write_wav(tmp_path / "short.wav", tone(0.1))))
    manifest = write_jsonl(tmp_path / "m.jsonl", rows)
    report = precompute_manifest(manifest, Fussy(), tmp_path / "cache", batch_size=8,
                                 progress=False)
    assert set(report.index) == {f"u{i}" for i in range(5)}
    assert _reasons(report) == {"short": "encoder: RuntimeError: input too short for the encoder"}


def test_non_finite_features_are_never_cached_and_old_ones_are_dropped(tmp_path, encoder):
    class Broken:
        sample_rate, output_dim = encoder.sample_rate, encoder.output_dim

        def cache_key(self):
            return encoder.cache_key()

        def encode(self, waves, lengths):
            frames, n = encoder.encode(waves, lengths)
            return frames * float("nan"), n

    wav = write_wav(tmp_path / "u.wav", tone())
    manifest = write_jsonl(tmp_path / "m.jsonl", [_row("u", wav)])
    report = precompute_manifest(manifest, Broken(), tmp_path / "cache", progress=False)
    assert "non-finite features" in _reasons(report)["u"]
    assert not list((tmp_path / "cache").rglob("*.safetensors"))
    # An entry holding NaN (written by an older version) is removed, and encoded again.
    from safetensors.torch import save_file

    from salad.data.feature_cache import file_hash

    cache = FeatureCache(tmp_path / "cache", encoder.cache_key())
    cache.path(file_hash(wav)).parent.mkdir(parents=True)
    save_file({"frames": torch.full((3, 40), float("nan"))}, str(cache.path(file_hash(wav))))
    again = precompute_manifest(manifest, encoder, tmp_path / "cache", progress=False)
    assert (again.cached, again.computed, again.failed) == (0, 1, [])
    assert bool(cache.get(file_hash(wav)).isfinite().all())


def test_text_manifest_lines_that_are_not_utf8_or_repeat_an_id(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"id": "a", "text": "one"}\n{"id": "b", "text": "caf\xe9 au lait"}\n'
                     b'{"id": "a", "text": "two"}\n')
    items = list(read_text_manifest(path))
    assert [getattr(i, "text", None) for i in items] == ["one", None, None]
    assert items[1].where == f"{path}:2" and items[1].error.startswith("not UTF-8 (byte 0xe9")
    assert items[2].error == "duplicate id 'a' (first at line 1)"
