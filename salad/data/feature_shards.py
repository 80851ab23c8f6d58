"""Encoder-feature caching as a sharded job: each rank of a ``torchrun`` launch encodes its
share of a speech manifest into the shared, content-addressed feature cache and writes its
own shard of the index; one merge step joins the shards into the job's index.

Rank ``r`` of ``n`` takes the records ``r, r + n, r + 2n, ...`` (:mod:`salad.data.shards`). The
merged ``index.json`` lists utterances in manifest order, so it
is the same file whatever the number of ranks. A rerun skips what the cache already holds.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import SaladError
from ..core.launch import World
from .feature_cache import Failure, PrecomputeReport, precompute
from .files import atomic_write_json
from .manifests import read_speech_manifest
from .shards import read_shards, shard_path, share

INDEX = "index.json"


def cache_shard(manifest: str | Path, encoder, cache_root: str | Path, out_dir: str | Path,
                world: World, batch_size: int = 8, progress: bool = True) -> Path:
    """Encode this rank's share of ``manifest``; write its index shard (atomic)."""
    read = read_speech_manifest(manifest)
    mine = share(read.records, world)
    report = PrecomputeReport()
    if world.main:  # bad manifest lines are counted once, by rank 0
        report.total = len(read.errors)
        report.failed = [Failure(e.id or "", e.where, e.error) for e in read.errors]
    precompute([(r.id, r.audio) for r in mine], encoder, cache_root, batch_size=batch_size,
               progress=progress and world.main, report=report)
    path = shard_path(out_dir, "index", world.rank, world.size)
    atomic_write_json(path, {"manifest": str(manifest), "encoder": encoder.cache_key(),
                             "total": report.total, "cached": report.cached,
                             "computed": report.computed, "index": report.index,
                             "failed": [f.to_dict() for f in report.failed]})
    return path


def merge_shards(out_dir: str | Path, size: int) -> dict:
    """Join the ``size`` index shards of ``out_dir`` into ``index.json``, in manifest order."""
    out_dir = Path(out_dir)
    shards = read_shards(out_dir, "index", size, "rerun the job (finished features are kept)")
    if len({(s["manifest"], s["encoder"]) for s in shards}) != 1:
        raise SaladError(f"{out_dir}: the shards come from different manifests or encoders")
    manifest = shards[0]["manifest"]
    order = {r.id: i for i, r in enumerate(read_speech_manifest(manifest).records)}
    index = {k: v for s in shards for k, v in s["index"].items()}
    failed = sorted((f for s in shards for f in s["failed"]),
                    key=lambda f: (order.get(f["id"], -1), f["where"]))
    merged = {"manifest": manifest, "encoder": shards[0]["encoder"],
              "total": sum(s["total"] for s in shards),
              "index": dict(sorted(index.items(), key=lambda kv: order[kv[0]])),
              "failed": failed}
    atomic_write_json(out_dir / INDEX, merged)
    return merged
