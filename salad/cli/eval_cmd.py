"""``salad eval``: a run (or one of its checkpoints) on benchmarks as text, speech and cascade."""

from __future__ import annotations

import argparse

from ..evaluation.config import MODES


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="evaluate a run or checkpoint: text, speech and cascade accuracy, the gap",
        description="Scores the same benchmark items as text (teacher, student), as speech "
                    "(student; one pass per voice) and through ASR (cascade), and writes "
                    "results.json, items.jsonl and report.md/html. Unset options take the "
                    "evaluate stage's defaults (docs/evaluation.md).")
    p.add_argument("target", help="run directory, or a checkpoint directory inside one")
    p.add_argument("--benchmarks", nargs="+", help="benchmark names (default: openbookqa piqa "
                                                   "arc_challenge hellaswag)")
    p.add_argument("--benchmarks-dir", help="folder of the local benchmark files (default "
                                            "$SALAD_BENCHMARKS_DIR)")
    p.add_argument("--hf", action="store_true", help="read the benchmarks from the Hugging "
                                                     "Face hub (online)")
    p.add_argument("--limit", help="seeded subset per benchmark, or 'all' (default 100)")
    p.add_argument("--shots", type=int, help="few-shot examples (default 0)")
    p.add_argument("--seed", type=int)
    p.add_argument("--modes", nargs="+", choices=MODES)
    p.add_argument("--voices", nargs="+", help="ENGINE:VOICE, first = main voice "
                                               "(default piper:joe festival:ked_diphone)")
    p.add_argument("--asr-model", help="cascade ASR model (default base)")
    p.add_argument("--metric", choices=("acc", "acc_norm"))
    p.add_argument("--checkpoint", default="final",
                   help="checkpoint name under stage1/checkpoints/ (default final), "
                        "'initial' for the untrained student, or 'aligned' for it with the "
                        "align stage's adapter")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--label", help="name of the run in reports (default: run dir name)")
    p.add_argument("--out", help="output directory (default RUN/eval, or RUN/eval-CHECKPOINT)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cmd_eval)


def _config(args):
    from ..evaluation.config import EvalConfig

    values = {k: v for k, v in {
        "benchmarks": args.benchmarks, "shots": args.shots, "seed": args.seed,
        "modes": args.modes, "voices": args.voices, "asr_model": args.asr_model,
        "metric": args.metric, "batch_size": args.batch_size}.items() if v is not None}
    if args.benchmarks_dir or args.hf:
        values["benchmark_config"] = ({"hf": True} if args.hf
                                      else {"data_dir": args.benchmarks_dir})
    if args.limit is not None:
        values["limit"] = None if args.limit == "all" else int(args.limit)
    if args.no_progress:
        values["progress"] = False
    return EvalConfig.model_validate(values)


def cmd_eval(args) -> int:
    from pathlib import Path

    from pydantic import ValidationError

    from ..core.errors import SaladError
    from ..core.plugin_host import get_host
    from ..core.problems import format_problems
    from ..core.refs import check_refs
    from ..evaluation.run_models import evaluate_run, load_models, resolve_target
    from ..recipe import validate_recipe
    from ..stages.evaluate.spec import eval_refs

    try:
        cfg = _config(args)
    except (ValidationError, ValueError) as exc:
        raise SaladError(f"bad evaluation options: {exc}") from None
    problems = check_refs(eval_refs(cfg), get_host())
    if problems:
        raise SaladError(format_problems("evaluation options", problems))
    run_dir, checkpoint = resolve_target(args.target, args.checkpoint)
    name = checkpoint.name if checkpoint is not None else (
        "initial" if args.checkpoint == "initial" else "final")
    out = Path(args.out) if args.out else run_dir / ("eval" if name == "final" else f"eval-{name}")
    print(f"run {run_dir}, checkpoint {checkpoint or 'none (initial student)'} -> {out}")
    validated = validate_recipe(run_dir / "recipe.yaml")
    models = load_models(validated, checkpoint, speech="student_speech" in cfg.modes)
    label = args.label or (run_dir.name if name == "final" else f"{run_dir.name}@{name}")
    results = evaluate_run(models, cfg, run_dir, checkpoint, out, label=label)
    print("\n".join(results["lines"]))
    print(f"\nresults: {out / 'results.json'}\nreport: {out / 'report.md'}")
    return 0
