"""salad.data.embedding_cache: vectors by text hash, atomic chunks, bad chunks and values."""

from __future__ import annotations

import numpy as np
import pytest

from salad.core.errors import SaladError
from salad.data.embedding_cache import EmbeddingCache, text_digest


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def test_chunks_are_found_by_content_after_reopening(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    keys = [text_digest(t) for t in ("a", "b", "c")]
    vecs = _vectors(3)
    cache.put(keys[:2], vecs[:2])
    cache.put(keys[2:], vecs[2:])
    reopened = EmbeddingCache(tmp_path, "m")
    assert len(reopened) == 3 and text_digest("d") not in reopened
    for key, vec in zip(keys, vecs):
        np.testing.assert_array_equal(reopened.get(key), vec)
    assert EmbeddingCache(tmp_path, "other").get(keys[0]) is None
    assert not list(tmp_path.rglob("*.tmp"))


def test_non_finite_vectors_are_refused(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    bad = _vectors(2)
    bad[1, 0] = np.nan
    with pytest.raises(SaladError, match="non-finite"):
        cache.put([text_digest("a"), text_digest("b")], bad)
    assert len(EmbeddingCache(tmp_path, "m")) == 0


def test_an_unreadable_chunk_is_ignored(tmp_path, caplog):
    cache = EmbeddingCache(tmp_path, "m")
    good = cache.put([text_digest("a")], _vectors(1))
    (good.parent / "broken.safetensors").write_bytes(b"not a safetensors file")
    reopened = EmbeddingCache(tmp_path, "m")
    assert len(reopened) == 1 and "broken.safetensors" in caplog.text


@pytest.mark.parametrize("key", ["", "a/b", ".hidden"])
def test_a_key_that_cannot_name_a_folder_is_an_error(tmp_path, key):
    with pytest.raises(SaladError, match="cannot name a folder"):
        EmbeddingCache(tmp_path, key)
