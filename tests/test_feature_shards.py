"""Feature caching as a sharded job: 2 ranks give the same merged index as 1 rank."""

from __future__ import annotations

import json
import shutil

import pytest

from salad.core.errors import SaladError
from salad.core.launch import World
from salad.core.plugin_host import get_host
from salad.data.feature_shards import INDEX, cache_shard, merge_shards

from .helpers.tiny_run import tone_manifest
from .helpers.torchrun import torchrun

ENCODER = "salad.fbank_encoder.v1"


def _encoder():
    return get_host().registry("speech_encoder").build(ENCODER, {"n_mels": 40})


def _job(manifest, out, cache, size):
    for rank in range(size):
        cache_shard(manifest, _encoder(), cache, out, World(rank, size), progress=False)
    merge_shards(out, size)
    return (out / INDEX).read_bytes()


def test_two_ranks_merge_to_the_index_of_one(tmp_path):
    manifest = tone_manifest(tmp_path, "utt", 7, seed=3)  # plus one row with missing audio
    one = _job(manifest, tmp_path / "one", tmp_path / "cache1", 1)
    two = _job(manifest, tmp_path / "two", tmp_path / "cache2", 2)
    assert one == two
    merged = json.loads(one)
    assert list(merged["index"]) == [f"utt{i}" for i in range(7)]
    assert [f["id"] for f in merged["failed"]] == ["broken"] and merged["total"] == 8
    shards = [json.loads((tmp_path / "two" / f"index.shard-0000{r}-of-00002.json").read_text())
              for r in (0, 1)]
    assert sorted(shards[0]["index"]) == ["utt0", "utt2", "utt4", "utt6"]  # strided shares


def test_merge_names_a_missing_shard(tmp_path):
    manifest = tone_manifest(tmp_path, "utt", 3, seed=1)
    cache_shard(manifest, _encoder(), tmp_path / "c", tmp_path / "out", World(0, 2),
                progress=False)
    with pytest.raises(SaladError, match="index.shard-00001-of-00002.json"):
        merge_shards(tmp_path / "out", 2)


@pytest.mark.slow
def test_torchrun_job_matches_one_process(tmp_path):
    manifest = tone_manifest(tmp_path, "utt", 5, seed=2)
    runs = {}
    for size in (1, 2):
        out, cache = tmp_path / f"out{size}", tmp_path / f"cache{size}"
        shutil.rmtree(cache, ignore_errors=True)
        torchrun(size, ["data", "features", str(manifest), str(out), "--encoder", ENCODER,
                        "--encoder-config", '{"n_mels": 40}', "--cache", str(cache)],
                 timeout=120)
        runs[size] = (out / INDEX).read_bytes()
    assert runs[1] == runs[2]
