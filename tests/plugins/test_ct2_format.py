"""The CTranslate2 model.bin reader on small hand-written files."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from salad import SaladError

pytest.importorskip("torch")
from salad_plugins.whisper_encoder.ct2_format import dequantize, read_ct2_model  # noqa: E402


def _string(s: str) -> bytes:
    raw = s.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _var(name: str, arr: np.ndarray, code: int) -> bytes:
    out = _string(name) + struct.pack("<B", arr.ndim)
    out += b"".join(struct.pack("<I", d) for d in arr.shape)
    raw = arr.tobytes()
    return out + struct.pack("<BI", code, len(raw)) + raw


def _model(tmp_path, split=False):
    w = np.arange(6, dtype=np.float16).reshape(2, 3)
    q = np.array([[10, -20], [30, 40]], dtype=np.int8)
    scale = np.array([10.0, 20.0], dtype=np.float32)
    body = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<II", 3, 3)
    body += _var("a/weight", w, 4) + _var("q/weight", q, 1) + _var("q/weight_scale", scale, 0)
    body += struct.pack("<I", 1) + _string("b/weight") + _string("a/weight")
    if not split:
        (tmp_path / "model.bin").write_bytes(body)
        return [tmp_path / "model.bin"], w
    (tmp_path / "p1").write_bytes(body[:37])
    (tmp_path / "p2").write_bytes(body[37:])
    return [tmp_path / "p1", tmp_path / "p2"], w


@pytest.mark.parametrize("split", [False, True])
def test_reads_arrays_aliases_and_parts(tmp_path, split):
    files, w = _model(tmp_path, split)
    m = read_ct2_model(files)
    assert (m.spec, m.revision, m.version) == ("WhisperSpec", 3, 6)
    np.testing.assert_array_equal(m.get("b/weight"), w)
    np.testing.assert_allclose(dequantize(m, "q/weight"), [[1, -2], [1.5, 2]])
    assert len(m.sha256) == 64


def test_truncated_file_is_a_clear_error(tmp_path):
    files, _ = _model(tmp_path)
    data = files[0].read_bytes()
    files[0].write_bytes(data[:-20])
    with pytest.raises(SaladError, match="ends early"):
        read_ct2_model(files)


def test_wrong_version_is_rejected(tmp_path):
    (tmp_path / "model.bin").write_bytes(struct.pack("<I", 99))
    with pytest.raises(SaladError, match="unsupported CTranslate2 binary version 99"):
        read_ct2_model(tmp_path / "model.bin")
