"""The report's figures (matplotlib, Agg backend, PNG). Each function returns the file written.

matplotlib is imported inside the functions (the ``report`` extra), so loading the reporting
package stays light.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..core.errors import SaladError
from .results import RunResults, speech_mode
from .tables import mode_header


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise SaladError("plots need matplotlib: pip install 'salad-speech[report]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("._") or "run"


def file_stems(labels: list[str]) -> dict[str, str]:
    """A distinct, file-name-safe stem per run label."""
    stems: dict[str, str] = {}
    for label in labels:
        stem, n = slug(label), 1
        while stem in stems.values():
            n += 1
            stem = f"{slug(label)}-{n}"
        stems[label] = stem
    return stems


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _nan_to_zero(values) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)


def accuracy_bars(run: RunResults, path: Path) -> Path:
    """Grouped bars: one group per benchmark, one bar per mode (headline metric), and the
    benchmark's chance level as a dashed line across its group."""
    plt = _pyplot()
    names, modes = run.benchmark_names(), run.modes()
    x = np.arange(len(names))
    width = 0.8 / max(len(modes), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(names) + 3.5), 3.6))
    for i, mode in enumerate(modes):
        values = [run.score(b, mode) for b in names]
        ax.bar(x + (i - (len(modes) - 1) / 2) * width, _nan_to_zero(values), width,
               label=mode_header(mode))
    chance = np.array([run.chance(b) for b in names])
    known = ~np.isnan(chance)
    if known.any():
        ax.hlines(chance[known], x[known] - 0.45, x[known] + 0.45, colors="black",
                  linestyles="dashed", linewidth=1.2, label="chance (guessing)")
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel(run.metric)
    ax.set_ylim(0, 1)
    ax.set_title(f"{run.label}: accuracy by mode")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def gap_bars(runs: list[RunResults], path: Path) -> Path | None:
    """Main-voice gap per benchmark, one bar per run, 95% CI whiskers; None without gaps."""
    names: list[str] = []
    for run in runs:
        names += [b for b in run.benchmark_names() if b not in names]
    if all(math.isnan(r.gap(b, speech_mode(r.main_voice))[0]) for r in runs for b in names):
        return None
    plt = _pyplot()
    x = np.arange(len(names))
    width = 0.8 / max(len(runs), 1)
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(names) + 2), 3.6))
    for i, run in enumerate(runs):
        gaps = [run.gap(b, speech_mode(run.main_voice)) for b in names]
        values = np.array([g[0] for g in gaps], dtype=float)
        lo = np.array([g[0] - g[1] if not math.isnan(g[1]) else 0.0 for g in gaps])
        hi = np.array([g[2] - g[0] if not math.isnan(g[2]) else 0.0 for g in gaps])
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, _nan_to_zero(values), width,
               yerr=np.vstack([_nan_to_zero(lo), _nan_to_zero(hi)]), capsize=3,
               label=run.label)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel("gap (teacher text - speech)")
    ax.set_title("text-speech gap per benchmark (main voice, 95% CI)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def training_curves(runs: list[RunResults], path: Path) -> Path | None:
    """M and F over training tokens, all runs with a history overlaid; None if none has one."""
    with_history = [r for r in runs if r.history()]
    if not with_history:
        return None
    plt = _pyplot()
    fig, (ax_m, ax_f) = plt.subplots(1, 2, figsize=(9, 3.5))
    for run in with_history:
        hist = run.history()
        tokens = [p.get("tokens") for p in hist]
        ax_m.plot(tokens, [p.get("misalignment") for p in hist], marker="o", ms=3,
                  label=run.label)
        ax_f.plot(tokens, [p.get("forgetting", math.nan) for p in hist], marker="o", ms=3,
                  label=run.label)
    ax_m.set_ylabel("misalignment M (nats/token)")
    ax_f.set_ylabel("forgetting F (nats/token)")
    positive = [p["tokens"] for r in with_history for p in r.history()
                if isinstance(p.get("tokens"), (int, float)) and p["tokens"] > 0]
    for ax in (ax_m, ax_f):
        if positive and max(positive) > 20 * min(positive):  # spans decades: log scale, 0 kept
            ax.set_xscale("symlog", linthresh=min(positive))
        ax.set_xlabel("training tokens")
        ax.legend(fontsize=7)
    return _save(fig, path)


def analysis_scatter(analysis: dict, path: Path) -> Path:
    """Speech accuracy vs log M and text accuracy vs F, one labelled point per run."""
    plt = _pyplot()
    inputs = analysis["inputs"]
    labels = list(inputs)
    fig, (ax_s, ax_t) = plt.subplots(1, 2, figsize=(9, 3.6))
    log_m = [math.log(inputs[k]["misalignment"]) for k in labels]
    panels = ((ax_s, log_m, "speech_acc", "log misalignment (log nats/token)", "speech accuracy"),
              (ax_t, [inputs[k]["forgetting"] for k in labels], "text_acc",
               "forgetting F (nats/token)", "student text accuracy"))
    for ax, xs, key, xlabel, ylabel in panels:
        ys = [inputs[k][key] for k in labels]
        ax.scatter(xs, ys, color="tab:blue")
        for xv, yv, label in zip(xs, ys, labels):
            ax.annotate(label, (xv, yv), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if len(set(xs)) > 1:
            slope, intercept = np.polyfit(xs, ys, 1)
            grid = np.linspace(min(xs), max(xs), 20)
            ax.plot(grid, intercept + slope * grid, ls="--", color="tab:orange", lw=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    fig.suptitle(f"across {len(labels)} runs")
    return _save(fig, path)
