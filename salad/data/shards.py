"""Sharded jobs under ``torchrun``: rank ``r`` of ``n`` takes the items ``r, r + n, r + 2n,
...`` (balanced, and stable when the list grows at the end), writes its own shard file, and
once every rank has written its shard, rank 0 merges the shards into the job's result.

Used by the feature-caching job (:mod:`salad.data.feature_shards`), the synthesis job
(:mod:`salad.synthesis.job`), the text-embedding job (:mod:`salad.selection.embed_shards`), Stage
I's teacher top-k cache (:mod:`salad.training.teacher_cache`) and the evaluation
(:mod:`salad.evaluation.suite`). Torch is imported only by a launch of several ranks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from ..core.errors import SaladError
from ..core.launch import World
from .files import atomic_write_lines

T = TypeVar("T")


def share(items: Sequence[T], world: World) -> list[T]:
    """This rank's strided share of ``items``."""
    return list(items[world.rank::world.size])


def shard_path(out_dir: str | Path, stem: str, rank: int, size: int,
               suffix: str = ".json") -> Path:
    return Path(out_dir) / f"{stem}.shard-{rank:05d}-of-{size:05d}{suffix}"


def shard_paths(out_dir: str | Path, stem: str, size: int, rerun: str,
                suffix: str = ".json") -> list[Path]:
    """The ``size`` shard files of ``out_dir``, in rank order; a missing one is an error that
    says ``rerun`` (what to do)."""
    paths = [shard_path(out_dir, stem, r, size, suffix) for r in range(size)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise SaladError(f"{out_dir}: {stem} shards missing ({', '.join(missing)}): a rank did "
                         f"not finish; {rerun}")
    return paths


def read_shards(out_dir: str | Path, stem: str, size: int, rerun: str) -> list[dict]:
    """The ``size`` JSON shards of ``out_dir``, in rank order (see :func:`shard_paths`)."""
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in shard_paths(out_dir, stem, size, rerun)]


def merge_lines(paths: Sequence[Path], out: str | Path, key: Callable[[dict], Any]) -> int:
    """Write the JSON lines of the shard files ``paths`` to ``out`` (atomic), ordered by ``key``
    of each line's object (ties keep shard order). Lines are copied as the shards hold them, so
    the result is byte for byte what one process appending in that order writes. Returns the
    number of lines."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                try:
                    rows.append((key(json.loads(line)), line))
                except json.JSONDecodeError as exc:
                    raise SaladError(f"{path}:{lineno}: not a JSON line ({exc.msg}); rerun "
                                     "the rank that wrote it") from None
    rows.sort(key=lambda row: row[0])
    return atomic_write_lines(out, (line for _, line in rows))


# How long a rank that is done waits for the others at the barrier: the ranks of a long job may
# finish hours apart (a rerun after a kill has work left on one rank only), and a rank that dies
# ends the whole launch through torchrun, so no rank waits for a dead one.
BARRIER_TIMEOUT = timedelta(hours=48)


@contextmanager
def process_group(world: World):
    """A process group for the barrier of a job of several ranks: the launch's own group when
    one is joined already (Stage I's), else a gloo group for the job's duration, whose
    rendezvous and barrier wait up to :data:`BARRIER_TIMEOUT`."""
    if world.size == 1 or world.joined:
        yield
        return
    import torch.distributed as dist

    dist.init_process_group("gloo", timeout=BARRIER_TIMEOUT)
    try:
        yield
    finally:
        dist.destroy_process_group()


def merge_when_done(world: World, merge: Callable[[], T]) -> T | None:
    """Wait until every rank has written its shard; rank 0 then runs ``merge`` (the other
    ranks get None). Call inside :func:`process_group`."""
    world.barrier()
    return merge() if world.main else None
