"""``salad report``: evaluation results (or, with ``--stage2``, Stage II outcomes) of one or more
runs side by side."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="compare runs' eval results (Markdown, HTML with plots, summary.json)")
    p.add_argument("sources", nargs="+", metavar="RUN_OR_RESULTS",
                   help="a run directory, its eval directory or a results.json")
    p.add_argument("--out", required=True, help="directory for report.md, report.html, "
                                                "plots/ and summary.json")
    p.add_argument("--stage2", action="store_true",
                   help="compare the runs' Stage II held-out metrics instead, grouped by "
                        "selection mode (mean and standard deviation over seeds)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    from ..reporting import build_report, prepare_runs, write_document
    from ..reporting.document import to_markdown
    from ..reporting.stage2_seeds import build_stage2_report

    if args.stage2:
        doc, summary = build_stage2_report(args.sources, args.out)
    else:
        doc, summary = build_report(prepare_runs(args.sources), args.out)
    written = write_document(doc, summary, args.out)
    print(to_markdown(doc, figures=False))
    for key in ("markdown", "html", "summary"):
        print(f"wrote {written[key]}")
    print(f"wrote {len(written['plots'])} plots under {written['markdown'].parent / 'plots'}")
    return 0
