"""The frozen teacher's top-k next-token log-probs for every training window, computed once.

The teacher always reads a window as plain text, whatever the student's modalities, so its
outputs depend on the window alone and can be cached for the whole run (and reused on resume).

The cache is a sharded job (:mod:`salad.data.shards`): the windows form groups of
``batch_size`` consecutive windows, one teacher batch each; rank ``r`` of ``n`` takes the groups
``r, r + n, ...`` and writes their top-k to its shard file, and rank 0 merges the shards in
group order into ``teacher_topk.safetensors``. Every rank forms the batches one process forms
(the padding of a window's batch changes its log-probs in the last digits), so the merged
file is the same for any number of ranks. A rerun reuses the merged file, or else the shards,
of the same windows, teacher, k and batch size. A sharded teacher
(:class:`~salad.training.distributed.ShardedTeacher`) needs every rank in each of its passes:
then every rank runs the same number of rounds (one with no group left runs a pass it discards),
and a rerun keeps the shards only when every rank has its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..core.errors import SaladError
from ..core.launch import World
from ..data.files import atomic_path
from ..data.progress import progress_bar
from ..data.shards import merge_when_done, shard_path, shard_paths, share
from ..speech.interleave import collate
from ..speech.model import teacher_logits
from ..speech.teacher import TeacherTopK
from .data import ExampleBuilder, Utterance


class TeacherCache:
    def __init__(self, logprobs: torch.Tensor, indices: torch.Tensor, offsets: list[int]):
        self.logprobs, self.indices, self.offsets = logprobs, indices, offsets

    def lookup(self, window_ids: Sequence[int], batch) -> TeacherTopK:
        """Top-k rows for the pairs of ``batch`` whose examples are ``window_ids``."""
        width = batch.teacher_ids.shape[1]
        q = batch.teacher_pos - batch.example_index * width
        base = torch.tensor([self.offsets[w] for w in window_ids])[batch.example_index]
        rows = base + q
        return TeacherTopK(self.logprobs[rows].float(), self.indices[rows].long())

    @staticmethod
    def fingerprint(windows: Sequence[Sequence[Utterance]], teacher_key: str, k: int) -> str:
        h = hashlib.sha256(f"{teacher_key}|{k}".encode())
        for w in windows:
            h.update(json.dumps([u.text for u in w]).encode())
        return h.hexdigest()[:16]

    @classmethod
    def build(cls, teacher, builder: ExampleBuilder, windows: Sequence[Sequence[Utterance]],
              k: int, path: Path, teacher_key: str, batch_size: int = 16,
              world: World | None = None) -> TeacherCache:
        """The cache of ``windows`` at ``path``, computed unless it is there already: each
        rank of ``world`` writes its shard, rank 0 merges, every rank reads the merged file."""
        world = world or World()
        path = Path(path)
        fp = cls.fingerprint(windows, teacher_key, k)
        if _key(path, "fingerprint") != fp:
            write_shard(teacher, builder, windows, k, path, fp, world, batch_size)
            merge_when_done(world, lambda: merge_shards(path, fp, len(windows), world.size,
                                                        batch_size))
            world.barrier()
        data = load_file(str(path))
        return cls(data["logprobs"], data["indices"], data["offsets"].tolist())


def _groups(count: int, batch_size: int) -> list[range]:
    """The teacher batches: ``batch_size`` consecutive windows each."""
    return [range(s, min(s + batch_size, count)) for s in range(0, count, batch_size)]


def _bytes(text: str) -> torch.Tensor:
    return torch.tensor(list(text.encode()), dtype=torch.uint8)


def _key(path: Path, name: str) -> str | None:
    """The text stored as the uint8 tensor ``name`` of ``path`` (None without the file)."""
    if not path.is_file():
        return None
    with safe_open(str(path), "pt") as f:
        return bytes(f.get_tensor(name).tolist()).decode()


def _shard(path: Path, rank: int, size: int) -> Path:
    return shard_path(path.parent, path.stem, rank, size, ".safetensors")


def write_shard(teacher, builder: ExampleBuilder, windows: Sequence[Sequence[Utterance]], k: int,
                path: Path, fp: str, world: World, batch_size: int) -> Path:
    """Top-k of this rank's groups of windows (pairs in window order, and each window's number
    of pairs) as its shard of ``path`` (atomic); a finished shard of the same key is kept."""
    out = _shard(path, world.rank, world.size)
    key = f"{fp}|{batch_size}"
    done = _key(out, "key") == key
    groups = _groups(len(windows), batch_size)
    mine = share(groups, world)
    collective = getattr(teacher, "collective", False)
    if collective:  # a sharded teacher: every rank runs every round, or none does
        done = world.sum([float(done)])[0] == world.size
        rounds = -(-len(groups) // world.size)
    else:
        rounds = len(mine)
    if done:
        return out
    logprobs, indices, pairs = [], [], []
    for round_ in progress_bar(range(rounds), desc="teacher top-k", unit="batch",
                               disable=not world.main):
        group = mine[round_] if round_ < len(mine) else groups[0]  # a pass for the others
        layouts = builder.text_layouts([windows[i] for i in group])
        with torch.no_grad():
            top = TeacherTopK.from_logits(teacher_logits(teacher, collate(layouts)), k)
        if round_ >= len(mine):
            continue
        logprobs.append(top.logprobs.to(torch.float16))
        indices.append(top.indices.to(torch.int32))
        pairs += [len(lay.pairs) for lay in layouts]
    with atomic_path(out) as tmp:
        save_file({"logprobs": torch.cat(logprobs) if logprobs
                   else torch.empty((0, k), dtype=torch.float16),
                   "indices": torch.cat(indices) if indices
                   else torch.empty((0, k), dtype=torch.int32),
                   "pairs": torch.tensor(pairs, dtype=torch.long), "key": _bytes(key)},
                  str(tmp))
    return out


def merge_shards(path: Path, fp: str, count: int, size: int, batch_size: int) -> None:
    """Join the ``size`` shards of ``path`` (``count`` windows) in group order into ``path``
    (atomic): the file one rank writes. The shards are removed once it is in place."""
    key = f"{fp}|{batch_size}"
    shards = [load_file(str(p)) for p in shard_paths(
        path.parent, path.stem, size, "rerun the stage (finished shards are kept)",
        ".safetensors")]
    groups = _groups(count, batch_size)
    parts: dict[int, tuple[torch.Tensor, torch.Tensor, list[int]]] = {}
    for rank, shard in enumerate(shards):
        mine = share(list(enumerate(groups)), World(rank, size))
        pairs = shard["pairs"].tolist()
        if bytes(shard["key"].tolist()).decode() != key or len(pairs) != sum(
                len(g) for _, g in mine):
            raise SaladError(f"{_shard(path, rank, size)} belongs to other windows, teacher or "
                             "batch size: remove it and rerun the stage")
        row = window = 0
        for index, group in mine:
            counts = pairs[window:window + len(group)]
            rows = slice(row, row + sum(counts))
            parts[index] = (shard["logprobs"][rows], shard["indices"][rows], counts)
            row, window = rows.stop, window + len(group)
    ordered = [parts[i] for i in range(len(groups))]
    counts = [c for _, _, cs in ordered for c in cs]
    offsets = [0, *accumulate(counts)][:-1]
    with atomic_path(path) as tmp:
        save_file({"logprobs": torch.cat([lp for lp, _, _ in ordered]),
                   "indices": torch.cat([ix for _, ix, _ in ordered]),
                   "offsets": torch.tensor(offsets, dtype=torch.long),
                   "fingerprint": _bytes(fp)}, str(tmp))
    for rank in range(size):
        _shard(path, rank, size).unlink()
