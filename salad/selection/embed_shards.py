"""Embedding a text pool as a sharded job: each rank of a ``torchrun`` launch embeds its share
of a text manifest (of its first ``limit`` records when given) with a ``text_embedder`` (whose
on-disk cache, when it has one, keeps every vector for later jobs) and writes its shard; one
merge step joins the shards into the job's vectors in manifest order. Stage II runs the job
on the ranks of its launch before clustering.

The manifest's distinct texts are cut into blocks of ``block_size`` in first-occurrence order,
and rank ``r`` of ``n`` takes the blocks ``r, r + n, ...`` (:mod:`salad.data.shards`). Each block
is embedded by one ``embed`` call, so a text is batched with the same texts whatever the number
of ranks and the merged files are the same for 1 rank or many. With
``salad.sentence_embedder.v1`` a block no longer than its ``chunk_size`` is one cache chunk, so
a rerun after a kill embeds only the blocks no chunk holds, each as a fresh run would.

The merge writes into the output folder:

- ``embeddings.safetensors``: ``vectors`` ``(N, D)`` float32, one row per manifest record;
- ``embeddings.json``: the manifest, the embedder, the record ``ids`` in the same order and the
  manifest lines that were ``skipped``.

Clustering with the same embedder (``salad data cluster``) finds every vector in its cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.errors import SaladError
from ..core.launch import World
from ..data.files import atomic_path, atomic_write_json
from ..data.shards import shard_path, shard_paths, share
from .pool import read_pool, skipped_row

VECTORS = "embeddings.safetensors"
INDEX = "embeddings.json"


def _blocks(manifest: str | Path, block_size: int, limit: int | None) -> list[list[str]]:
    records, _ = read_pool(manifest, limit)
    if not records:
        raise SaladError(f"text manifest {manifest} holds no texts: nothing to embed")
    texts = list(dict.fromkeys(r.text for r in records))
    return [texts[i:i + block_size] for i in range(0, len(texts), block_size)]


def embed_shard(manifest: str | Path, embedder, embedder_label: str, out_dir: str | Path,
                world: World, block_size: int = 1024, limit: int | None = None) -> Path:
    """Embed this rank's blocks of ``manifest`` (of its first ``limit`` records when given);
    write its shard (atomic). ``embedder_label`` names the embedder and its config (shards of
    different embedders are not merged)."""
    from safetensors.numpy import save_file

    if block_size < 1:
        raise SaladError(f"block size must be at least 1, not {block_size}")
    blocks = _blocks(manifest, block_size, limit)
    mine = share(range(len(blocks)), world)
    parts = [np.asarray(embedder.embed(blocks[b]), dtype=np.float32) for b in mine]
    dim = int(embedder.output_dim)
    vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
    path = shard_path(out_dir, "embeddings", world.rank, world.size, ".safetensors")
    with atomic_path(path) as tmp:
        save_file({"vectors": np.ascontiguousarray(vectors)}, str(tmp), metadata={
            "manifest": str(manifest), "embedder": embedder_label,
            "block_size": str(block_size), "limit": json.dumps(limit),
            "blocks": json.dumps(mine)})
    return path


def merge_shards(out_dir: str | Path, size: int) -> dict:
    """Join the ``size`` shards of ``out_dir`` into ``embeddings.safetensors`` and
    ``embeddings.json``, in manifest order; returns the index."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    paths = shard_paths(out_dir, "embeddings", size,
                        "rerun the job (embedded texts are kept in the embedder's cache)",
                        ".safetensors")
    metas, parts = [], []
    for path in paths:
        with safe_open(str(path), framework="numpy") as fh:
            metas.append(fh.metadata())
            parts.append(fh.get_tensor("vectors"))
    if len({(m["manifest"], m["embedder"], m["block_size"], m.get("limit"))
            for m in metas}) != 1:
        raise SaladError(f"{out_dir}: the shards come from different manifests, embedders, "
                         "block sizes or limits")
    manifest, block_size = metas[0]["manifest"], int(metas[0]["block_size"])
    limit = json.loads(metas[0].get("limit", "null"))
    blocks = _blocks(manifest, block_size, limit)
    by_block: dict[int, np.ndarray] = {}
    for meta, vectors in zip(metas, parts):
        start = 0
        for b in json.loads(meta["blocks"]):
            by_block[b] = vectors[start:start + len(blocks[b])]
            start += len(blocks[b])
    if sorted(by_block) != list(range(len(blocks))):
        raise SaladError(f"{out_dir}: the shards do not hold every block of {manifest}; rerun "
                         "the job")
    unique = np.concatenate([by_block[b] for b in range(len(blocks))])
    row = {text: i for i, text in enumerate(t for block in blocks for t in block)}
    records, skipped = read_pool(manifest, limit)
    with atomic_path(out_dir / VECTORS) as tmp:
        save_file({"vectors": np.ascontiguousarray(unique[[row[r.text] for r in records]])},
                  str(tmp))
    index = {"manifest": manifest, "embedder": metas[0]["embedder"],
             "dim": int(unique.shape[1]), "texts": len(row), "ids": [r.id for r in records],
             "skipped": [skipped_row(e) for e in skipped]}
    atomic_write_json(out_dir / INDEX, index)
    return index


def read_vectors(out_dir: str | Path) -> np.ndarray:
    """The merged ``vectors`` of ``out_dir`` (one row per record, in manifest order)."""
    from safetensors.numpy import load_file

    return load_file(str(Path(out_dir) / VECTORS))["vectors"]
