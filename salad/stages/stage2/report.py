"""Stage II's report pieces: the per-cluster chart and the held-out reading table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...reporting.stage2_seeds import READING_KEYS


def reading_table(sets: Sequence[str], rows: Mapping[str, Mapping[str, float] | None]) -> str:
    """Markdown: per held-out set, M, content gain and information shares of each model
    (``rows``: label -> a flat history row of :func:`~salad.training.stage1.heldout_row`), and
    F pooled over the sets."""
    present = {label: row for label, row in rows.items() if row}
    head = ["held-out metric", *present]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in sets:
        for key in READING_KEYS:
            cells = [_fmt(row.get(f"{name}/{key}")) for row in present.values()]
            lines.append(f"| {name}: {key} | " + " | ".join(cells) + " |")
    lines.append("| forgetting F (all sets) | "
                 + " | ".join(_fmt(row.get("forgetting")) for row in present.values()) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.4f}"


def plot_clusters(rows: Sequence[Mapping], path: Path) -> None:
    """Per cluster (sorted by M before Stage II): M before and after (bars, with the
    bootstrap interval of M before) and its share of the synthesis budget (line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    order = sorted(rows, key=lambda r: -_num(r.get("M_before")))
    x = np.arange(len(order))
    before = np.array([_num(r.get("M_before")) for r in order])
    after = np.array([_num(r.get("M_after")) for r in order])
    ci = np.array([r.get("ci95") or [math.nan, math.nan] for r in order], dtype=float)
    share = np.array([r.get("budget_share") or 0.0 for r in order])
    fig, ax = plt.subplots(figsize=(max(6.0, 0.25 * len(order) + 2), 3.4))
    ax.bar(x - 0.2, before, width=0.4, label="M before Stage II",
           yerr=np.abs(np.stack([before - ci[:, 0], ci[:, 1] - before])), capsize=1.5)
    ax.bar(x + 0.2, after, width=0.4, label="M after Stage II")
    ax.set_xticks(x, [str(r["cluster"]) for r in order], fontsize=6, rotation=90)
    ax.set_xlabel("cluster (sorted by M before)")
    ax.set_ylabel("misalignment (nats / token)")
    twin = ax.twinx()
    twin.plot(x, share, color="C3", marker=".", label="share of the budget")
    twin.set_ylabel("share of the synthesis budget")
    handles = ax.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _num(value) -> float:
    return float("nan") if value is None else float(value)
