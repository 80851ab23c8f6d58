"""Sharded jobs under ``torchrun``: rank ``r`` of ``n`` takes the items ``r, r + n, r + 2n,
...`` (balanced, and stable when the list grows at the end), writes its own shard file, and
once every rank has written its shard, rank 0 merges the shards into the job's result.

Used by the feature-caching job (:mod:`salad.data.feature_shards`), the evaluation
(:mod:`salad.evaluation.suite`) and Stage I's teacher top-k cache
(:mod:`salad.training.teacher_cache`). Torch is imported only by a launch of several ranks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..core.errors import SaladError
from ..core.launch import World

T = TypeVar("T")


def share(items: Sequence[T], world: World) -> list[T]:
    """This rank's strided share of ``items``."""
    return list(items[world.rank::world.size])


def shard_path(out_dir: str | Path, stem: str, rank: int, size: int,
               suffix: str = "json") -> Path:
    return Path(out_dir) / f"{stem}.shard-{rank:05d}-of-{size:05d}.{suffix}"


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def read_shards(out_dir: str | Path, stem: str, size: int, rerun: str, suffix: str = "json",
                load: Callable[[Path], T] = _read_json) -> list[T]:
    """The ``size`` shards of ``out_dir``, in rank order, read by ``load`` (JSON by default);
    a missing one is an error that says ``rerun`` (what to do)."""
    paths = [shard_path(out_dir, stem, r, size, suffix) for r in range(size)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise SaladError(f"{out_dir}: {stem} shards missing ({', '.join(missing)}): a rank did "
                         f"not finish; {rerun}")
    return [load(p) for p in paths]


@contextmanager
def process_group(world: World):
    """A process group for the barrier of a job of several ranks: the launch's own group when
    one is joined already (Stage I's), else a gloo group for the job's duration."""
    if world.size == 1 or world.joined:
        yield
        return
    import torch.distributed as dist

    dist.init_process_group("gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def merge_when_done(world: World, merge: Callable[[], T]) -> T | None:
    """Wait until every rank has written its shard; rank 0 then runs ``merge`` (the other
    ranks get None). Call inside :func:`process_group`."""
    world.barrier()
    return merge() if world.main else None
