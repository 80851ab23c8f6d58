"""Cluster a text pool: embed it (cached; or take the vectors of the sharded embedding job,
:mod:`salad.selection.embed_shards`), run a clustering backend, and write what Stage II reads
next into a folder:

- ``clusters.json``: the cluster table (:mod:`salad.selection.clusters`), ``clusters.md`` its
  Markdown rendering;
- ``assignments.jsonl``: ``{"id", "cluster"}`` per text, in pool order;
- ``centroids.safetensors``: ``centroids`` ``(K, D)`` float32, to assign other texts (held-out
  sets) to the same clusters;
- ``failures.jsonl``: the manifest lines that were skipped, with their reasons (only when any).

Every file is written atomically; embedding resumes from its cache after a kill.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import SaladError
from ..core.items import ClusteringResult, TextRecord
from ..data.files import atomic_path, atomic_write_lines, atomic_write_text
from ..data.manifests import ManifestLineError, read_text_manifest
from .clusters import cluster_table, format_cluster_table, write_cluster_table


@dataclass
class PoolClusters:
    rows: list[dict]
    result: ClusteringResult
    texts: int
    skipped: list[ManifestLineError] = field(default_factory=list)

    def summary(self) -> str:
        sizes = sorted(r["size"] for r in self.rows)
        return (f"{self.texts} texts in {len(sizes)} clusters (sizes {sizes[0]} to {sizes[-1]}, "
                f"median {sizes[len(sizes) // 2]}); {len(self.skipped)} bad manifest lines "
                "skipped")


def read_pool(path: str | Path, limit: int | None = None,
              ) -> tuple[list[TextRecord], list[ManifestLineError]]:
    """The records of a text manifest (its first ``limit`` when given) and its bad lines
    (skipped, never dropped silently)."""
    records, bad = [], []
    for item in read_text_manifest(path):
        (bad if isinstance(item, ManifestLineError) else records).append(item)
    return (records[:limit] if limit else records), bad


def skipped_row(error: ManifestLineError) -> dict:
    """A skipped manifest line as the pool's files list it."""
    return {"where": error.where, "id": error.id, "reason": error.error}


def cluster_pool(records: Sequence[TextRecord], embedder, backend, out_dir: str | Path, *,
                 n_nearest: int = 5, skipped: Sequence[ManifestLineError] = ()) -> PoolClusters:
    """Embed ``records`` with ``embedder``, cluster them with ``backend``, write ``out_dir``."""
    if not records:
        raise SaladError("no texts to cluster")
    return cluster_vectors(records, embedder.embed([r.text for r in records]), backend, out_dir,
                           n_nearest=n_nearest, skipped=skipped)


def cluster_vectors(records: Sequence[TextRecord], vectors: np.ndarray, backend,
                    out_dir: str | Path, *, n_nearest: int = 5,
                    skipped: Sequence[ManifestLineError] = ()) -> PoolClusters:
    """Cluster ``records`` by their ``vectors`` (one row each) with ``backend``, write
    ``out_dir``."""
    from safetensors.numpy import save_file

    if not records:
        raise SaladError("no texts to cluster")
    if len(vectors) != len(records):
        raise SaladError(f"{len(vectors)} vectors for {len(records)} texts to cluster")
    result = backend.fit(vectors)
    labels = np.asarray(result.labels, dtype=np.int64)
    rows = cluster_table(records, vectors, labels, result.centroids, n_nearest=n_nearest)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_cluster_table(out / "clusters.json", rows)
    atomic_write_text(out / "clusters.md", format_cluster_table(rows))
    atomic_write_lines(out / "assignments.jsonl", (json.dumps({"id": r.id, "cluster": int(c)})
                                                   for r, c in zip(records, labels)))
    with atomic_path(out / "centroids.safetensors") as tmp:
        save_file({"centroids": np.ascontiguousarray(result.centroids, dtype=np.float32)},
                  str(tmp))
    if skipped:
        atomic_write_lines(out / "failures.jsonl",
                           (json.dumps(skipped_row(e)) for e in skipped))
    return PoolClusters(rows=rows, result=result, texts=len(records), skipped=list(skipped))
