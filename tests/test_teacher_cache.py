"""The teacher top-k cache as a sharded job: ranks in process (no process group; the barrier is
a no-op), each writing its shard, then rank 0's merge. The merged file is the one rank's file,
byte for byte, for any number of ranks; a rerun reuses finished shards and the merged file."""

from __future__ import annotations

import pytest
import torch

import salad.training.teacher_cache as tc
from salad.core.errors import SaladError
from salad.core.launch import World
from salad.speech.interleave import collate
from salad.speech.model import teacher_logits
from salad.speech.teacher import TeacherTopK
from salad.training.teacher_cache import TeacherCache, merge_shards, write_shard

from .helpers.tiny_stage1 import tiny_trainer

K, BATCH = 8, 5  # 12 windows: teacher batches of 5, 5 and 2 windows


@pytest.fixture
def job(tmp_path, tiny_lm):
    trainer = tiny_trainer(tmp_path / "trainer", tiny_lm)
    fp = TeacherCache.fingerprint(trainer.windows, "tiny", K)
    return trainer, fp


def _sharded(trainer, fp, path, size):
    for rank in range(size):
        write_shard(trainer.teacher, trainer.builder, trainer.windows, K, path, fp,
                    World(rank, size), BATCH)
    merge_shards(path, fp, len(trainer.windows), size, BATCH)
    return path.read_bytes()


def test_the_merged_cache_is_the_one_rank_cache(tmp_path, job):
    trainer, fp = job
    files = {size: _sharded(trainer, fp, tmp_path / f"n{size}" / "teacher_topk.safetensors",
                            size) for size in (1, 2, 4)}  # 4 ranks: one has no batch
    assert files[2] == files[1] and files[4] == files[1]
    assert not list(tmp_path.glob("n*/*.shard-*"))  # the shards are removed after the merge
    cache = TeacherCache.build(trainer.teacher, trainer.builder, trainer.windows, K,
                               tmp_path / "n2" / "teacher_topk.safetensors", "tiny", BATCH)
    # the second batch (rank 1's of 2) is where one process puts it
    with torch.no_grad():
        top = TeacherTopK.from_logits(teacher_logits(trainer.teacher, collate(
            trainer.builder.text_layouts(trainer.windows[5:10]))), K)
    rows = slice(cache.offsets[5], cache.offsets[10])
    assert torch.equal(cache.logprobs[rows], top.logprobs.to(torch.float16))
    assert torch.equal(cache.indices[rows], top.indices.to(torch.int32))
    assert len(cache.offsets) == len(trainer.windows)


def test_a_rerun_reuses_finished_shards_and_the_merged_cache(tmp_path, job, monkeypatch):
    trainer, fp = job
    batches = []
    monkeypatch.setattr(tc, "teacher_logits", lambda t, b: batches.append(1) or
                        teacher_logits(t, b))
    path = tmp_path / "teacher_topk.safetensors"
    first = World(0, 2)
    write_shard(trainer.teacher, trainer.builder, trainer.windows, K, path, fp, first, BATCH)
    assert len(batches) == 2  # batches 0 and 2
    with pytest.raises(SaladError, match="shards missing"):
        merge_shards(path, fp, len(trainer.windows), 2, BATCH)
    write_shard(trainer.teacher, trainer.builder, trainer.windows, K, path, fp, first, BATCH)
    assert len(batches) == 2  # the finished shard is kept
    merged = _sharded(trainer, fp, path, 2)
    assert len(batches) == 3  # rank 1's batch only
    assert merged == _sharded(trainer, fp, tmp_path / "one" / path.name, 1)
    batches.clear()
    TeacherCache.build(trainer.teacher, trainer.builder, trainer.windows, K, path, "tiny", BATCH)
    assert not batches  # the merged cache of the same fingerprint
    TeacherCache.build(trainer.teacher, trainer.builder, trainer.windows, K, path, "other",
                       BATCH)
    assert len(batches) == 3  # another teacher: computed again


def test_a_shard_of_other_windows_is_refused(tmp_path, job):
    trainer, fp = job
    path = tmp_path / "teacher_topk.safetensors"
    write_shard(trainer.teacher, trainer.builder, trainer.windows, K, path, "other", World(0, 2),
                BATCH)
    write_shard(trainer.teacher, trainer.builder, trainer.windows, K, path, fp, World(1, 2),
                BATCH)
    with pytest.raises(SaladError, match="shard-00000-of-00002.*other windows"):
        merge_shards(path, fp, len(trainer.windows), 2, BATCH)
