"""Reference gaps: the trained student's speech gap between the untrained student's (the floor)
and the cascade's (ASR, then the teacher: the topline), and the share of that distance that
training closed."""

from __future__ import annotations

import math

from .document import Document, Paragraph, Section, Table, to_markdown
from .results import RunResults, speech_mode
from .tables import fmt, fmt_gap


def closed_share(untrained: float, trained: float, cascade: float) -> float:
    """``(untrained - trained) / (untrained - cascade)``: 0 = no better than untrained, 1 = at
    the cascade; NaN when the cascade is not ahead of the untrained student."""
    distance = untrained - cascade
    if math.isnan(distance) or math.isnan(trained) or distance <= 0:
        return math.nan
    return (untrained - trained) / distance


def _share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.0f}%"


def reference_table(trained: RunResults, untrained: RunResults) -> Table:
    speech = speech_mode(trained.main_voice)
    header = ["benchmark", "untrained gap", "trained gap", "cascade gap", "share closed"]
    rows = []
    for name in trained.benchmark_names():
        gaps = (untrained.gap(name, speech), trained.gap(name, speech),
                trained.gap(name, trained.cascade))
        rows.append([name, *(fmt_gap(*g) for g in gaps),
                     _share(closed_share(*(g[0] for g in gaps)))])
    pooled = (untrained.pooled_gap(speech), trained.pooled_gap(speech),
              trained.pooled_gap(trained.cascade))
    rows.append([f"all items ({pooled[1][3]})", *(fmt_gap(*g[:3]) for g in pooled),
                 _share(closed_share(*(g[0] for g in pooled)))])
    caption = (f"gap = teacher text - speech ({trained.main_voice}) in {trained.metric}, with "
               "its paired bootstrap 95% interval; untrained = the recipe's student and adapter "
               "before any training; cascade = ASR transcript, then the teacher; share closed "
               "= (untrained gap - trained gap) / (untrained gap - cascade gap), n/a when the "
               "cascade is not ahead")
    return Table(header, rows, caption)


def reference_summary(trained: RunResults, untrained: RunResults) -> list[str]:
    """Markdown lines: one sentence on the pooled share closed, and the per-benchmark table."""
    speech = speech_mode(trained.main_voice)
    gaps = [untrained.pooled_gap(speech)[0], trained.pooled_gap(speech)[0],
            trained.pooled_gap(trained.cascade)[0]]
    share = closed_share(*gaps)
    if math.isnan(share):
        text = (f"Reference gaps (pooled): untrained {fmt(gaps[0], signed=True)}, trained "
                f"{fmt(gaps[1], signed=True)}, cascade {fmt(gaps[2], signed=True)}; the "
                "cascade is not ahead of the untrained student, so no share closed.")
    elif share < 0:
        text = (f"The trained student's pooled gap ({fmt(gaps[1], signed=True)}) is wider than "
                f"the untrained student's ({fmt(gaps[0], signed=True)}): training closed none "
                f"of the distance to the cascade's ({fmt(gaps[2], signed=True)}); share "
                f"{_share(share)}.")
    else:
        text = (f"Training closed {_share(share)} of the distance from the untrained student's "
                f"pooled gap ({fmt(gaps[0], signed=True)}) to the cascade's "
                f"({fmt(gaps[2], signed=True)}): the trained student's is "
                f"{fmt(gaps[1], signed=True)}.")
    doc = Document("", [Section("", [Paragraph(text), reference_table(trained, untrained)])])
    return to_markdown(doc, figures=False).splitlines()[4:]


def before_after_table(before: RunResults, after: RunResults, before_label: str,
                       after_label: str) -> list[str]:
    """Markdown lines: per benchmark the student's speech (main voice) and text scores and the
    speech gap of two checkpoints evaluated on the same items (e.g. Stage I and Stage II)."""
    speech = speech_mode(after.main_voice)
    header = ["benchmark", f"speech: {before_label}", f"speech: {after_label}",
              f"text: {before_label}", f"text: {after_label}", f"gap: {before_label}",
              f"gap: {after_label}"]
    rows = []
    for name in after.benchmark_names():
        rows.append([name, *(fmt(r.score(name, speech)) for r in (before, after)),
                     *(fmt(r.score(name, "student_text")) for r in (before, after)),
                     *(fmt_gap(*r.gap(name, speech)) for r in (before, after))])
    pooled = [r.pooled_gap(speech) for r in (before, after)]
    rows.append([f"all items ({pooled[1][3]})", "", "", "", "",
                 *(fmt_gap(*g[:3]) for g in pooled)])
    caption = (f"student scores ({after.metric}) as speech ({after.main_voice}) and as text; "
               "gap = teacher text - student speech with its paired bootstrap 95% interval")
    doc = Document("", [Section("", [Table(header, rows, caption)])])
    return to_markdown(doc, figures=False).splitlines()[4:]
