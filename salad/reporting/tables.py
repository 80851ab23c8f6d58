"""The report's tables: one run's benchmark x mode table, runs side by side, training summary."""

from __future__ import annotations

import math
from pathlib import Path

from .document import Table
from .results import (
    STUDENT_TEXT,
    TEACHER_TEXT,
    RunResults,
    nanmean,
    speech_mode,
)

# Columns of the side-by-side comparison: key -> header.
COMPARISON_COLUMNS = {
    "teacher_text": "teacher text",
    "student_text": "student text",
    "speech_main": "speech (main voice)",
    "speech_second": "speech (second voice)",
    "cascade": "cascade",
    "gap": "gap",
}


def fmt(x: float, signed: bool = False) -> str:
    """``.283`` style (three decimals, no leading zero); NaN as ``n/a``."""
    if x is None or math.isnan(x):
        return "n/a"
    text = f"{x:+.3f}" if signed else f"{x:.3f}"
    return text.replace("0.", ".", 1) if abs(x) < 1 else text


def fmt_gap(value: float, lo: float, hi: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isnan(lo) or math.isnan(hi):
        return fmt(value, signed=True)
    return f"{fmt(value, signed=True)} [{fmt(lo, signed=True)}, {fmt(hi, signed=True)}]"


def fmt_num(x: float, digits: int = 4) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf"
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 10 ** -digits):
        return f"{x:.3g}"
    return f"{x:.{digits}f}"


def fmt_tokens(x: float) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf"
    return f"{x:,.0f}" if abs(x) < 1e9 else f"{x:.3g}"


CHANCE_MARK = " (<= chance)"


def at_chance(score: float, chance: float) -> bool:
    """Whether ``score`` is no better than guessing (``chance``: mean of 1 / options)."""
    return not math.isnan(score) and not math.isnan(chance) and score <= chance + 1e-9


def fmt_score(score: float, chance: float) -> str:
    """``fmt`` with :data:`CHANCE_MARK` when the score is at or below chance."""
    return fmt(score) + (CHANCE_MARK if at_chance(score, chance) else "")


def mode_header(mode: str) -> str:
    if mode in (TEACHER_TEXT, STUDENT_TEXT):
        return mode.replace("_", " ")
    kind, _, voice = mode.partition("@")
    return f"{'speech' if kind == 'student_speech' else kind} {voice}"


def run_table(run: RunResults) -> Table:
    """Benchmarks x modes (``acc_norm / acc``), cascade WER, gaps with 95% CI, a mean row."""
    modes, gap_modes = run.modes(), run.gap_modes()
    wer_modes = [m for m in modes if any(
        "wer" in b["modes"].get(m, {}) for b in run.benchmarks)]
    chances = [run.chance(b) for b in run.benchmark_names()]
    with_chance = any(not math.isnan(c) for c in chances)
    header = (["benchmark", "items"] + (["chance"] if with_chance else [])
              + [mode_header(m) for m in modes]
              + [f"WER {mode_header(m)}" for m in wer_modes]
              + [f"gap {mode_header(m)}" for m in gap_modes])
    names = run.benchmark_names()
    rows = []
    for bench in run.benchmarks:
        name = bench["benchmark"]
        chance = run.chance(name)
        row = [name, str(bench.get("n_items", ""))] + ([fmt(chance)] if with_chance else [])
        row += [f"{fmt(run.score(name, m, 'acc_norm'))} / {fmt(run.score(name, m, 'acc'))}"
                + (CHANCE_MARK if at_chance(run.score(name, m), chance) else "")
                for m in modes]
        row += [fmt(run.score(name, m, "wer")) for m in wer_modes]
        row += [fmt_gap(*run.gap(name, m)) for m in gap_modes]
        rows.append(row)
    if len(names) > 1:
        total = sum(int(b.get("n_items") or 0) for b in run.benchmarks)
        row = ["mean", str(total)] + ([fmt(nanmean(chances))] if with_chance else [])
        row += [f"{fmt(run.mean_score(m, key='acc_norm'))} / {fmt(run.mean_score(m, key='acc'))}"
                for m in modes]
        row += [fmt(run.mean_score(m, key="wer")) for m in wer_modes]
        row += [fmt(nanmean([run.gap(b, m)[0] for b in names]), signed=True)
                for m in gap_modes]
        rows.append(row)
    caption = (f"{run.label}: cells are acc_norm / acc; gap = teacher text - mode in "
               f"{run.metric} on the items both scored, with its 95% CI; the mean row is the "
               "plain mean over the benchmarks that have the mode"
               + (f"; chance = guessing (mean of 1 / options), '{CHANCE_MARK.strip()}' marks "
                  f"a score no better than it in {run.metric}" if with_chance else ""))
    return Table(header, rows, caption)


def skipped_notes(run: RunResults) -> list[str]:
    notes = []
    for bench in run.benchmarks:
        for mode, entry in bench["modes"].items():
            skipped = entry.get("skipped") or 0
            if skipped:
                total = (entry.get("n") or 0) + skipped
                notes.append(f"{bench['benchmark']} {mode}: {skipped} of {total} items skipped")
    return notes


def _comparison_cells(run: RunResults, benchmark: str) -> dict:
    main = speech_mode(run.main_voice)
    value, lo, hi = run.gap(benchmark, main)
    return {
        "teacher_text": run.score(benchmark, TEACHER_TEXT),
        "student_text": run.score(benchmark, STUDENT_TEXT),
        "speech_main": run.score(benchmark, main),
        "speech_second": run.score(benchmark, speech_mode(run.second_voice)),
        "cascade": run.score(benchmark, run.cascade),
        "gap": value, "gap_ci95": [lo, hi], "chance": run.chance(benchmark),
    }


def comparison(runs: list[RunResults]) -> dict:
    """Headline metric per benchmark and run, plus the plain mean over each run's benchmarks."""
    benchmarks: list[str] = []
    for run in runs:
        benchmarks += [b for b in run.benchmark_names() if b not in benchmarks]
    rows = [{"benchmark": b, "runs": {r.label: _comparison_cells(r, b) for r in runs}}
            for b in benchmarks]
    mean = {}
    for run in runs:
        cells = [row["runs"][run.label] for row in rows]
        mean[run.label] = {k: nanmean([c[k] for c in cells])
                           for k in (*COMPARISON_COLUMNS, "chance")}
        mean[run.label]["gap_ci95"] = [math.nan, math.nan]
    columns = [k for k in COMPARISON_COLUMNS
               if any(not math.isnan(row["runs"][r.label][k]) for row in rows for r in runs)]
    return {"columns": columns, "metric": {r.label: r.metric for r in runs},
            "voices": {r.label: r.voices for r in runs}, "rows": rows, "mean": mean}


def comparison_table(comp: dict) -> Table:
    labels = list(comp["metric"])
    header = ["benchmark"] + [f"{label}: {COMPARISON_COLUMNS[k]}"
                              for label in labels for k in comp["columns"]]

    def cells(values: dict, with_ci: bool) -> list[str]:
        out = []
        for k in comp["columns"]:
            if k == "gap":
                lo, hi = values["gap_ci95"] if with_ci else (math.nan, math.nan)
                out.append(fmt_gap(values["gap"], lo, hi))
            else:
                out.append(fmt_score(values[k], values["chance"]))
        return out

    rows = [[row["benchmark"]] + [c for label in labels for c in cells(row["runs"][label], True)]
            for row in comp["rows"]]
    if len(comp["rows"]) > 1:
        rows.append(["mean"] + [c for label in labels for c in cells(comp["mean"][label], False)])
    metrics = sorted(set(comp["metric"].values()))
    caption = (f"runs side by side in {' / '.join(metrics)}; speech and gap use each run's main "
               "voice, the cascade its main voice when scored; gap = teacher text - speech with "
               f"its 95% CI; '{CHANCE_MARK.strip()}' marks a score no better than guessing")
    return Table(header, rows, caption)


def training_table(runs: list[RunResults]) -> Table:
    rows = []
    for run in runs:
        if run.training is None:
            rows.append([run.label, "n/a", "n/a", "n/a", "0", "no Stage I history"])
            continue
        rows.append([run.label, fmt_num(run.training_end("misalignment")),
                     fmt_num(run.training_end("forgetting")),
                     fmt_tokens(run.training_end("tokens")), str(len(run.history())),
                     Path(run.checkpoint).name if run.checkpoint else "untrained"])
    return Table(["run", "M end", "F end", "tokens", "history points", "checkpoint"], rows,
                 "training at the evaluated checkpoint (its path is in the Runs table): "
                 "misalignment M and forgetting F "
                 "(held-out, nats/token) and training tokens seen")
