"""The sentence on top of a report: the pooled gap with its interval, the cascade's, forgetting."""

from __future__ import annotations

import math

from .results import STUDENT_TEXT, TEACHER_TEXT, RunResults, speech_mode
from .tables import fmt, fmt_gap, fmt_num


def _pooled(run: RunResults, mode: str | None, what: str) -> str | None:
    value, lo, hi, n = run.pooled_gap(mode)
    if math.isnan(value):
        return None
    verdict = ("the interval holds 0: no difference shown on these items"
               if lo <= 0 <= hi else "the interval excludes 0")
    return f"{what} {fmt_gap(value, lo, hi)} over {n} items ({verdict})"


def headline(run: RunResults) -> str:
    """One paragraph: what a reader should take from the run before any table."""
    n_bench = len(run.benchmarks)
    speech = speech_mode(run.main_voice)
    parts = []
    main = _pooled(run, speech, f"the gap teacher text minus student speech ({run.main_voice}) is")
    if main is None and speech in run.modes():
        parts.append("no gap: the teacher's text mode was not scored (add the teacher_text "
                     "mode)" if TEACHER_TEXT not in run.modes() else
                     "the results hold no pooled gap (written by an older salad eval; "
                     "rerun it, scores are cached)")
    elif main is not None:
        parts.append(main)
    cascade_text = _pooled(run, run.cascade, "the cascade's gap (ASR transcript, then the "
                                             "teacher) is")
    if cascade_text:
        parts.append(cascade_text)
    forgetting = run.training_end("forgetting")
    if not math.isnan(forgetting):
        parts.append(f"forgetting F = {fmt_num(forgetting)} nats/token (student text "
                     f"{fmt(run.mean_score(STUDENT_TEXT))} vs teacher text "
                     f"{fmt(run.mean_score(TEACHER_TEXT))}, mean over benchmarks)")
    elif run.training is None:
        parts.append("no Stage I history, so no forgetting")
    if not parts:
        return f"{run.label}: no gap to report (no speech mode was scored)."
    body = "; ".join(parts)
    return (f"{run.label} ({run.metric}, {n_bench} benchmark{'s' * (n_bench != 1)} pooled, "
            f"paired bootstrap 95% intervals): {body}.")
