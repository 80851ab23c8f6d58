"""Evaluation reports: one or more runs' ``salad eval`` results side by side.

Markdown and self-contained HTML with plots, plus ``summary.json``; the scaling-law fit of each
run's misalignment and, across three or more runs, the regressions of :mod:`salad.analysis`.
"""

from .report import build_report, markdown_summary, prepare_runs, write_document, write_report
from .results import SCHEMA, RunResults, load_results, results_from_dict

__all__ = ["SCHEMA", "RunResults", "build_report", "load_results", "markdown_summary",
           "prepare_runs", "results_from_dict", "write_document", "write_report"]
