"""Stage II runs side by side, grouped by selection (``salad report --stage2 RUN...``).

Each run's ``stage2/summary.json`` holds its Stage I reference metrics (``final`` and the
``pre-decay`` start) and Stage II's final held-out metrics; runs that share one Stage I (forks
made with ``salad run ... --reuse``) differ only in Stage II. The report groups the runs by
selection mode and gamma, gives mean ± standard deviation over each group's seeds per held-out
metric beside Stage I's, and plots every seed's misalignment per held-out set.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import SaladError
from ..data.files import load_yaml_mapping
from .document import Document, Figure, Paragraph, Section, Table
from .plots import _pyplot, _save

READING_KEYS = ("misalignment", "content_gain", "share_matched", "share_mismatched")  # per set


@dataclass
class Stage2Run:
    """One run's Stage II outcome."""

    path: Path
    group: str  # "active, gamma 5", "uniform, gamma 0"
    seed: int | None  # the selection's seed
    reference: dict  # Stage I checkpoint name -> flat held-out metrics
    final: dict  # Stage II's final flat held-out metrics
    budget: dict  # the selection's texts and estimated hours


def _stage2_seed(run_dir: Path):
    recipe = run_dir / "recipe.yaml"
    if not recipe.is_file():
        return None
    for stage in load_yaml_mapping(recipe, "run recipe").get("stages") or []:
        if stage.get("name") == "stage2":
            return ((stage.get("config") or {}).get("selection") or {}).get("seed")
    return None


def load_stage2_run(run_dir) -> Stage2Run:
    """The Stage II outcome of the run in ``run_dir`` (its stage2 summary and selection)."""
    run_dir = Path(run_dir)
    summary_path, selection_path = (run_dir / "stage2" / "summary.json",
                                    run_dir / "stage2" / "selection.json")
    if not summary_path.is_file():
        raise SaladError(f"{run_dir}: no stage2/summary.json (Stage II has not finished there)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    reference = summary.get("reference") or {}  # Stage I's final checkpoint first
    reference = dict(sorted(reference.items(), key=lambda item: item[0] != "final"))
    selection = (json.loads(selection_path.read_text(encoding="utf-8"))
                 if selection_path.is_file() else {})
    mode, gamma = selection.get("mode", "?"), selection.get("gamma")
    group = mode if gamma is None else f"{mode}, gamma {gamma:g}"
    return Stage2Run(run_dir, group, _stage2_seed(run_dir), reference, summary.get("final") or {},
                     {k: summary.get("selection", {}).get(k) for k in ("texts", "hours")})


def held_out_sets(runs: list[Stage2Run]) -> list[str]:
    """The held-out sets every run measured, in the first run's order."""
    names = [k.rsplit("/", 1)[0] for k in runs[0].final if k.endswith("/misalignment")]
    return [n for n in names if all(f"{n}/misalignment" in r.final for r in runs)]


def groups(runs: list[Stage2Run]) -> dict[str, list[Stage2Run]]:
    out: dict[str, list[Stage2Run]] = {}
    for run in runs:
        out.setdefault(run.group, []).append(run)
    return out


def _mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else math.nan)


def _cell(mean: float, sd: float) -> str:
    if math.isnan(mean):
        return ""
    return f"{mean:.4f}" + ("" if math.isnan(sd) else f" ± {sd:.4f}")


def _other_stage1_notes(runs: list[Stage2Run]) -> list[str]:
    """Notes on the runs whose Stage I reference differs from the first run's."""
    return [f"`{r.path}` continued from another Stage I: its reference metrics differ"
            for r in runs[1:] if r.reference != runs[0].reference]


def seeds_table(runs: list[Stage2Run]) -> tuple[Table, dict]:
    """Per held-out metric: Stage I's checkpoints (of the first run), then each group's mean ±
    sd over seeds."""
    reference = runs[0].reference
    by_group = groups(runs)
    keys = [f"{s}/{k}" for s in held_out_sets(runs) for k in READING_KEYS] + ["forgetting"]
    header = ["held-out metric", *(f"Stage I {name}" for name in reference),
              *(f"{g} ({len(rs)} seeds)" for g, rs in by_group.items())]
    rows, summary = [], {}
    for key in keys:
        row = [key, *(_cell(ref.get(key, math.nan), math.nan) for ref in reference.values())]
        for group, members in by_group.items():
            mean, sd = _mean_sd([m.final.get(key, math.nan) for m in members])
            row.append(_cell(mean, sd))
            summary.setdefault(group, {})[key] = {
                "mean": mean, "sd": sd, "seeds": [m.final.get(key) for m in members]}
        rows.append(row)
    return Table(header, rows, caption="mean ± standard deviation over each group's seeds"), summary


def misalignment_plot(runs: list[Stage2Run], path: Path) -> Path:
    """Per held-out set: each seed's final M (dots) and the group mean (bar) beside Stage I's
    final M (dashed line)."""
    plt = _pyplot()
    sets, by_group = held_out_sets(runs), groups(runs)
    fig, axes = plt.subplots(1, len(sets), figsize=(3.2 * len(sets), 3.2), squeeze=False)
    for ax, name in zip(axes[0], sets):
        key = f"{name}/misalignment"
        for i, members in enumerate(by_group.values()):
            values = [m.final[key] for m in members]
            ax.bar(i, statistics.fmean(values), color=f"C{i}", alpha=0.4)
            ax.plot([i] * len(values), values, "o", color=f"C{i}")
        final = runs[0].reference.get("final", {}).get(key)
        if final is not None:
            ax.axhline(final, color="k", linestyle="--", linewidth=1, label="Stage I final")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(by_group)), list(by_group), fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("M (nats/token)", fontsize=8)
        lows = [m.final[key] for m in runs] + ([final] if final is not None else [])
        ax.set_ylim(min(lows) * 0.97, max(lows) * 1.02)
    return _save(fig, path)


def build_stage2_report(run_dirs, out_dir) -> tuple[Document, dict]:
    """The report of the Stage II runs in ``run_dirs`` (at least one) and its summary."""
    runs = [load_stage2_run(d) for d in run_dirs]
    if not runs:
        raise SaladError("a Stage II report needs at least one run")
    if not held_out_sets(runs):
        raise SaladError("the runs share no held-out set")
    out_dir = Path(out_dir)
    (out_dir / "plots").mkdir(parents=True, exist_ok=True)
    table, summary = seeds_table(runs)
    notes = _other_stage1_notes(runs)
    listing = Table(["run", "selection", "seed", "texts", "hours (estimated)"], [
        [str(r.path), r.group, "" if r.seed is None else str(r.seed),
         str(r.budget.get("texts", "")),
         "" if r.budget.get("hours") is None else f"{r.budget['hours']:.3f}"] for r in runs])
    blocks = [table, *(Paragraph(n) for n in notes),
              Figure(misalignment_plot(runs, out_dir / "plots" / "stage2_misalignment.png"),
                     "final held-out M of every seed, group means as bars"), listing]
    doc = Document("Stage II: selection against selection", [Section("Held-out metrics", blocks)],
                   base_dir=out_dir)
    return doc, {"groups": summary, "runs": [str(r.path) for r in runs],
                 "reference": runs[0].reference}
