"""The cluster table: what each cluster of the broad text pool holds.

One row per cluster: its size and share of the pool (``P_web(c)``), the texts nearest its
centroid, and the mix of source-domain labels of its texts (``source/domain``, or the source
alone for a text without domain labels). Written as JSON (atomically) for later stages and as a
Markdown table for reports; columns added later (misalignment, share of the budget) are rendered
the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..core.items import TextRecord
from ..data.files import atomic_write_json
from .kmeans import squared_distances


def record_labels(record: TextRecord) -> list[str]:
    """``source/domain`` for each of the record's domains, or ``[source]``."""
    return [f"{record.source}/{d}" for d in record.domains] or [record.source]


def cluster_table(records: Sequence[TextRecord], vectors: np.ndarray, labels: np.ndarray,
                  centroids: np.ndarray, *, n_nearest: int = 5, n_labels: int = 5) -> list[dict]:
    """Rows for clusters ``0 .. len(centroids) - 1`` (empty clusters included, size 0)."""
    labels = np.asarray(labels, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32)
    centroids = np.asarray(centroids, dtype=np.float32)
    if not len(records) == len(vectors) == len(labels):
        raise ValueError(f"{len(records)} records, {len(vectors)} vectors and {len(labels)} "
                         "labels: one of each per text")
    rows = []
    for c in range(len(centroids)):
        members = np.flatnonzero(labels == c)
        dist = squared_distances(vectors[members], centroids[c:c + 1])[:, 0]
        closest = members[np.argsort(dist, kind="stable")[:n_nearest]]
        mix = Counter(lab for i in members for lab in record_labels(records[i]))
        rows.append({
            "cluster": c,
            "size": len(members),
            "share": len(members) / max(len(records), 1),
            "nearest": [{"id": records[i].id, "text": records[i].text} for i in closest],
            "labels": [[lab, n / len(members)] for lab, n in mix.most_common(n_labels)],
        })
    return rows


def add_columns(rows: Sequence[dict], **columns: Mapping[int, object]) -> list[dict]:
    """Rows with extra per-cluster values (``name={cluster: value}``); missing ones are None."""
    return [{**row, **{name: col.get(row["cluster"]) for name, col in columns.items()}}
            for row in rows]


def write_cluster_table(path: str | Path, rows: Sequence[dict]) -> Path:
    return atomic_write_json(path, {"n_texts": sum(r["size"] for r in rows),
                                    "clusters": list(rows)})


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):  # ci95 and the like
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value).replace("|", "\\|").replace("\n", " ")


def format_cluster_table(rows: Sequence[dict], columns: Sequence[str] = (),
                         text_chars: int = 80) -> str:
    """A Markdown table: cluster, size, share, the extra ``columns``, the top labels with their
    shares, and the text nearest the centroid (cut to ``text_chars``)."""
    head = ["cluster", "size", "share", *columns, "top labels", "nearest text"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:
        labels = ", ".join(f"{lab} {share:.0%}" for lab, share in row["labels"][:3])
        text = row["nearest"][0]["text"] if row["nearest"] else ""
        if len(text) > text_chars:
            text = text[: text_chars - 3] + "..."
        cells = [row["cluster"], row["size"], row["share"], *(row.get(c) for c in columns),
                 labels, text]
        lines.append("| " + " | ".join(_cell(v) for v in cells) + " |")
    return "\n".join(lines) + "\n"
