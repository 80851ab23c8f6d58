"""The report's analyses: a scaling-law fit per run and the regressions across runs.

Both only call :mod:`salad.analysis`; this module picks the inputs out of the eval results and
says plainly when there is too little to fit.
"""

from __future__ import annotations

import math

from ..analysis.regression import accuracy_analysis
from ..analysis.scaling import fit_scaling_law
from ..core.errors import SaladError
from .results import STUDENT_TEXT, RunResults, speech_mode

MIN_SCALING_POINTS = 4
MIN_ANALYSIS_RUNS = 3


def scaling_points(run: RunResults) -> tuple[list[float], list[float]]:
    """(tokens, misalignment) of the history points with tokens > 0 and a finite M."""
    tokens, mis = [], []
    for point in run.history():
        d, m = point.get("tokens"), point.get("misalignment")
        if isinstance(d, (int, float)) and isinstance(m, (int, float)) and d > 0 \
                and math.isfinite(m):
            tokens.append(float(d))
            mis.append(float(m))
    return tokens, mis


def scaling_fit(run: RunResults) -> dict:
    """``{"status": "fitted", "fit": {...}}`` or a status with a ``message`` saying why not."""
    tokens, mis = scaling_points(run)
    out = {"tokens": tokens, "misalignment": mis, "fit": None}
    if run.training is None:
        return {**out, "status": "no history",
                "message": "no Stage I history in the results (untrained or not a Stage I run)"}
    if len(tokens) < MIN_SCALING_POINTS:
        return {**out, "status": "not enough points",
                "message": f"not enough points for a fit: {len(tokens)} history point(s) with "
                           f"tokens > 0, need at least {MIN_SCALING_POINTS}"}
    try:
        fit = fit_scaling_law(tokens, mis)
    except ImportError as exc:
        return {**out, "status": "failed", "message": f"the fit needs scipy ({exc}): "
                "pip install 'salad-speech[report]'"}
    except (SaladError, RuntimeError, ValueError, FloatingPointError) as exc:
        return {**out, "status": "failed", "message": f"the fit failed: {exc}"}
    return {**out, "status": "fitted", "fit": fit.as_dict(), "message": ""}


def _usable(run: RunResults) -> bool:
    m, f = run.training_end("misalignment"), run.training_end("forgetting")
    return m > 0 and math.isfinite(m) and math.isfinite(f)


def _both_scored(run: RunResults, benchmark: str) -> bool:
    speech = run.score(benchmark, speech_mode(run.main_voice))
    text = run.score(benchmark, STUDENT_TEXT)
    return not (math.isnan(speech) or math.isnan(text))


def cross_run_analysis(runs: list[RunResults]) -> dict | None:
    """The paper's regressions across runs; None for fewer than 3 runs.

    Speech accuracy is each run's mean main-voice student-speech metric and text accuracy its
    mean student-text metric, both over the benchmarks every analysed run scored in both modes;
    misalignment and forgetting are the training end values.
    """
    if len(runs) < MIN_ANALYSIS_RUNS:
        return None
    excluded = {}
    candidates = []
    for run in runs:
        if not _usable(run):
            excluded[run.label] = "no finite training misalignment > 0 and forgetting"
        elif not any(_both_scored(run, b) for b in run.benchmark_names()):
            excluded[run.label] = "no benchmark scored in both student speech and student text"
        else:
            candidates.append(run)
    common = [b for b in (candidates[0].benchmark_names() if candidates else [])
              if all(_both_scored(r, b) for r in candidates)]
    out = {"status": "insufficient", "runs": [r.label for r in candidates],
           "excluded": excluded, "benchmarks": common, "inputs": {}, "stats": {}}
    if len(candidates) < MIN_ANALYSIS_RUNS:
        out["message"] = (f"only {len(candidates)} run(s) have the inputs of the cross-run "
                          f"analysis; it needs at least {MIN_ANALYSIS_RUNS}")
        return out
    if not common:
        out["message"] = "the analysed runs share no benchmark scored in both modes"
        return out
    inputs = {r.label: {
        "speech_acc": r.mean_score(speech_mode(r.main_voice), common),
        "text_acc": r.mean_score(STUDENT_TEXT, common),
        "misalignment": r.training_end("misalignment"),
        "forgetting": r.training_end("forgetting"),
    } for r in candidates}
    out["inputs"] = inputs
    cols = {k: [inputs[r.label][k] for r in candidates]
            for k in ("speech_acc", "text_acc", "misalignment", "forgetting")}
    try:
        out["stats"] = accuracy_analysis(cols["speech_acc"], cols["text_acc"],
                                         cols["misalignment"], cols["forgetting"])
    except (SaladError, ValueError, ArithmeticError) as exc:
        out["message"] = f"the regressions failed: {exc}"
        return out
    notes = []
    for key, name in (("speech_acc", "speech accuracy"), ("text_acc", "text accuracy")):
        if max(cols[key]) - min(cols[key]) < 1e-12:  # nothing to explain: R^2 is undefined
            out["stats"] = {k: (math.nan if k.startswith(key) else v)
                            for k, v in out["stats"].items()}
            notes.append(f"{name.capitalize()} is the same in every run, so its regressions "
                         "are undefined (n/a). ")
    if len(candidates) <= 3:  # intercept + both predictors: as many coefficients as runs
        out["stats"] = {k: (math.nan if "partial" in k else v) for k, v in out["stats"].items()}
        notes.append(f"With {len(candidates)} runs the model with both predictors fits every "
                     "run exactly, so partial R^2 is not reported (n/a). ")
    out["status"] = "done"
    notes.append(f"These regressions rest on {len(candidates)} runs only: with so few points "
                 "an R^2 near 1 is easy to get by chance, and the leave-one-out R^2 (each run "
                 "predicted by a fit without it) is the more honest number. Read them as a "
                 "description of these runs, not as evidence of a law.")
    out["message"] = "".join(notes)
    return out
