"""Build the evaluation report of one or more runs and write it (Markdown, HTML, plots, JSON)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from ..analysis.scaling import ScalingFit, plot_scaling
from ..core.errors import SaladError
from ..data.files import atomic_write_text
from . import plots
from .document import (
    Audio,
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    relative_path,
    to_html,
    to_markdown,
)
from .examples import EXAMPLES_SHOWN, text_right_speech_wrong
from .fits import cross_run_analysis, scaling_fit
from .headline import headline
from .results import RunResults, load_results, results_from_dict, unique_labels
from .tables import (
    comparison,
    comparison_table,
    fmt_num,
    fmt_tokens,
    run_table,
    skipped_notes,
    training_table,
)


def _runs_table(runs: list[RunResults], out_dir: Path) -> Table:
    rows = [[r.label, relative_path(r.path, out_dir),
             relative_path(r.checkpoint, out_dir) if r.checkpoint else "untrained",
             str(r.shots), str(r.seed),
             r.metric, ", ".join(r.voices) or "none",
             fmt_num(r.seconds, 1) if isinstance(r.seconds, (int, float)) else "n/a"]
            for r in runs]
    return Table(["run", "results", "checkpoint", "shots", "seed", "metric", "voices (main first)",
                  "eval seconds"], rows)


def _within_data(tokens: float, trained: float) -> str:
    return (fmt_tokens(tokens) if tokens <= trained
            else f"not reached (> {fmt_tokens(trained)} trained)")


def _scaling_section(runs, fits: dict, plot_dir: Path, stems: dict[str, str]) -> Section:
    section = Section("Scaling law of misalignment", [Paragraph(
        "M(D) = E + B * D^-beta fitted to held-out misalignment over training tokens D from the "
        "run's Stage I history; E is the irreducible misalignment and the last column the "
        "tokens at which the fitted curve comes within 5% of E, shown only when the run trained "
        "that long: the fit is not extrapolated past the data.")])
    rows, notes, figures = [], [], []
    for run in runs:
        result = fits[run.label]
        if result["status"] != "fitted":
            notes.append(Paragraph(f"{run.label}: {result['message']}."))
            continue
        fit = result["fit"]
        rows.append([run.label, fmt_num(fit["E"]), fmt_num(fit["B"], 3), fmt_num(fit["beta"], 3),
                     fmt_num(fit["r2"], 3), _within_data(fit["tokens_within_5pct"],
                                                         max(result["tokens"])),
                     str(fit["n_points"])])
        path = plot_dir / f"scaling_{stems[run.label]}.png"
        plot_scaling(ScalingFit(**fit), result["tokens"], result["misalignment"], path,
                     title=f"{run.label}: M(D) = E + B D^-beta")
        figures.append(Figure(path, f"{run.label}: misalignment over tokens and the fitted law"))
    if rows:
        section.blocks.append(Table(["run", "E", "B", "beta", "R^2", "tokens to within 5% of E",
                                     "points"], rows))
    section.blocks += notes + figures
    return section


def _examples_section(run: RunResults) -> Section | None:
    rows = text_right_speech_wrong(run)
    if not rows:
        return None
    section = Section(f"{run.label}: text right, speech wrong", [Paragraph(
        f"Items the teacher answers right from text and the student gets wrong from speech "
        f"({run.main_voice}), up to {EXAMPLES_SHOWN} spread over the benchmarks; options are "
        "numbered from 0, log-likelihoods are the student's.")], level=3)
    section.blocks.append(Table(
        ["benchmark", "item", "spoken", "chosen", "right", "log-likelihoods"],
        [[r["benchmark"], r["item"], " / ".join(r.get("spoken", [])), str(r["chosen"]),
          str(r["gold"]), ", ".join(f"{v:.2f}" for v in r["loglik"])] for r in rows]))
    for r in rows:
        for path in dict.fromkeys(r["audio"]):
            section.blocks.append(Audio(Path(path), f"{r['benchmark']} {r['item']}"))
    return section


def _analysis_section(analysis: dict, plot_dir: Path) -> Section:
    section = Section("Across runs: what explains accuracy", [Paragraph(
        "Speech accuracy (mean main-voice student-speech metric) regressed on log misalignment, "
        "text accuracy (mean student-text metric) on forgetting; misalignment and forgetting "
        "are the training end values. Means are over the benchmarks every analysed run scored "
        f"in both modes: {', '.join(analysis['benchmarks']) or 'none'}.")])
    for label, why in analysis["excluded"].items():
        section.blocks.append(Paragraph(f"{label} is left out: {why}."))
    if analysis["inputs"]:
        section.blocks.append(Table(
            ["run", "speech acc", "text acc", "M", "log M", "F"],
            [[label, fmt_num(v["speech_acc"], 3), fmt_num(v["text_acc"], 3),
              fmt_num(v["misalignment"]), fmt_num(math.log(v["misalignment"]), 3),
              fmt_num(v["forgetting"])] for label, v in analysis["inputs"].items()]))
    if analysis["stats"]:
        section.blocks.append(Table(["statistic", "value"],
                                    [[k, fmt_num(v, 3)] for k, v in analysis["stats"].items()]))
    section.blocks.append(Paragraph(analysis["message"]))
    if analysis["status"] == "done":
        path = plots.analysis_scatter(analysis, plot_dir / "analysis_scatter.png")
        section.blocks.append(Figure(path, "speech accuracy vs log M and text accuracy vs F"))
    return section


def build_report(runs: list[RunResults], out_dir) -> tuple[Document, dict]:
    """The report document (plots written under ``out_dir/plots``) and its numbers as data."""
    out_dir = Path(out_dir)
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    labels = [r.label for r in runs]
    stems = plots.file_stems(labels)
    doc = Document(f"SALAD evaluation report: {', '.join(labels)}", base_dir=out_dir)
    doc.sections.append(Section("At a glance", [Paragraph(headline(r)) for r in runs]))
    doc.sections.append(Section("Runs", [_runs_table(runs, out_dir)]))

    comp = comparison(runs)
    side = Section("Side by side", [comparison_table(comp)])
    metrics = set(comp["metric"].values())
    if len(metrics) > 1:
        side.blocks.append(Paragraph("The runs use different headline metrics "
                                     f"({', '.join(sorted(metrics))}): compare with care."))
    gaps = plots.gap_bars(runs, plot_dir / "gaps.png")
    if gaps:
        side.blocks.append(Figure(gaps, "gap per benchmark and run (main voice) with 95% CI"))
    doc.sections.append(side)

    for run in runs:
        section = Section(f"Run {run.label}", [run_table(run)])
        notes = skipped_notes(run)
        if notes:
            section.blocks.append(Paragraph("Skipped items (not scored, counted here): "
                                            + "; ".join(notes) + "."))
        path = plots.accuracy_bars(run, plot_dir / f"accuracy_{stems[run.label]}.png")
        section.blocks.append(Figure(path, f"{run.label}: {run.metric} by benchmark and mode"))
        doc.sections.append(section)
        examples = _examples_section(run)
        if examples is not None:
            doc.sections.append(examples)

    training = Section("Training", [training_table(runs)])
    curves = plots.training_curves(runs, plot_dir / "training_curves.png")
    if curves:
        training.blocks.append(Figure(curves, "misalignment and forgetting over training tokens"))
    doc.sections.append(training)

    fits = {run.label: scaling_fit(run) for run in runs}
    doc.sections.append(_scaling_section(runs, fits, plot_dir, stems))

    analysis = cross_run_analysis(runs)
    if analysis is not None:
        doc.sections.append(_analysis_section(analysis, plot_dir))

    summary = {
        "schema": "salad.report.v1",
        "runs": [{"label": r.label, "results": str(r.path), "run_dir": r.run_dir,
                  "checkpoint": r.checkpoint, "metric": r.metric, "voices": r.voices,
                  "training_end": {k: r.training_end(k)
                                   for k in ("misalignment", "forgetting", "tokens")},
                  "scaling": {k: v for k, v in fits[r.label].items()
                              if k not in ("tokens", "misalignment")}}
                 for r in runs],
        "headlines": {r.label: headline(r) for r in runs},
        "pooled_gaps": {r.label: r.raw.get("pooled_gaps") for r in runs},
        "comparison": comp,
        "analysis": analysis,
    }
    return doc, summary


def _finite(obj):
    """JSON-safe copy: NaN and infinities become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _as_run(source) -> RunResults:
    if isinstance(source, RunResults):
        return dataclasses.replace(source)
    if isinstance(source, dict):
        return results_from_dict(source, f"<results of {source.get('label', '?')}>")
    return load_results(source)


def markdown_summary(results) -> list[str]:
    """The Markdown lines of one run's headline and benchmark x mode table (results dict, path
    or run)."""
    run = _as_run(results)
    return to_markdown(Document("", [Section("", [Paragraph(headline(run)), run_table(run)])]),
                       figures=False).splitlines()[4:]


def prepare_runs(results_list) -> list[RunResults]:
    """Runs from paths, results dicts or :class:`RunResults` (copied), with distinct labels."""
    runs = [_as_run(r) for r in results_list]
    if not runs:
        raise SaladError("a report needs at least one run's results")
    unique_labels(runs)
    return runs


def write_document(doc: Document, summary: dict, out_dir) -> dict[str, object]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "markdown": atomic_write_text(out_dir / "report.md", to_markdown(doc)),
        "html": atomic_write_text(out_dir / "report.html", to_html(doc)),
        "summary": atomic_write_text(out_dir / "summary.json",
                               json.dumps(_finite(summary), indent=2) + "\n"),
        "plots": [b.path for s in doc.sections for b in s.blocks if isinstance(b, Figure)],
    }


def write_report(results_list, out_dir) -> dict[str, object]:
    """Write ``report.md``, ``report.html``, ``plots/*.png`` and ``summary.json`` to ``out_dir``.

    ``results_list`` holds results dicts (as ``salad eval`` writes them), :class:`RunResults`
    or anything :func:`load_results` accepts.
    Returns the written paths: keys ``markdown``, ``html``, ``summary`` and ``plots`` (a list).
    """
    doc, summary = build_report(prepare_runs(results_list), out_dir)
    return write_document(doc, summary, out_dir)
