"""``salad eval``: a run, one of its checkpoints or an export on benchmarks as text, speech and
cascade."""

from __future__ import annotations

import argparse

from ..evaluation.config import MODES

EXAMPLES = """\
examples:
  salad eval runs/mini-20250101-120000 --benchmarks-dir ../shared/data/benchmarks
      the final checkpoint on the default benchmarks, both voices
  salad eval runs/mini-20250101-120000 --checkpoint initial --modes teacher_text student_speech
      the untrained student (the floor of the reference gaps)
  salad eval models/mini --benchmarks one_item.jsonl --limit all --voices piper:joe
      an exported model on one multiple-choice item ({"query", "choices", "gold"} per line)
"""


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="evaluate a run, checkpoint or export: text, speech and cascade accuracy, "
                     "the gap", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Scores the same benchmark items as text (teacher, student), as speech "
                    "(student; one pass per voice) and through ASR (cascade), and writes "
                    "results.json, items.jsonl and report.md/html. Unset options take the "
                    "evaluate stage's defaults (docs/evaluation.md).")
    p.add_argument("target", help="run directory, a checkpoint directory inside one, or a "
                                  "folder written by salad export")
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
                   help="checkpoint name under stage1/checkpoints/ (default final) or "
                        "STAGE/NAME (stage2/final), "
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
    from ..core.launch import env_world
    from ..core.plugin_host import get_host
    from ..core.problems import format_problems
    from ..core.refs import check_refs
    from ..evaluation.run_models import evaluate_run, load_models, resolve_target
    from ..inference.bundle import MANIFEST
    from ..recipe import validate_recipe
    from ..stages.evaluate.spec import eval_refs

    try:
        cfg = _config(args)
    except (ValidationError, ValueError) as exc:
        raise SaladError(f"bad evaluation options: {exc}") from None
    problems = check_refs(eval_refs(cfg), get_host())
    if problems:
        raise SaladError(format_problems("evaluation options", problems))
    echo = print if env_world().main else lambda *a: None  # under torchrun: rank 0 speaks
    if (Path(args.target) / MANIFEST).is_file():  # an export, not a run
        return _eval_export(args, cfg, echo)
    run_dir, checkpoint = resolve_target(args.target, args.checkpoint)
    name = checkpoint.name if checkpoint is not None else (
        "initial" if args.checkpoint == "initial" else "final")
    out = Path(args.out) if args.out else run_dir / ("eval" if name == "final" else f"eval-{name}")
    echo(f"run {run_dir}, checkpoint {checkpoint or 'none (initial student)'} -> {out}")
    validated = validate_recipe(run_dir / "recipe.yaml")
    models = load_models(validated, checkpoint, speech="student_speech" in cfg.modes)
    label = args.label or (run_dir.name if name == "final" else f"{run_dir.name}@{name}")
    results = evaluate_run(models, cfg, run_dir, checkpoint, out, label=label)
    echo("\n".join(results["lines"]))
    echo(f"\nresults: {out / 'results.json'}\nreport: {out / 'report.md'}")
    return 0


def _eval_export(args, cfg, echo) -> int:
    """``salad eval EXPORT_DIR``: the exported speech LM and the teacher it references."""
    from pathlib import Path

    from ..evaluation.run_models import evaluate_run
    from ..inference import load_exported
    from ..inference.evaluate import eval_models

    target = Path(args.target)
    out = Path(args.out) if args.out else target / "eval"
    echo(f"exported speech LM {target} -> {out}")
    models = eval_models(load_exported(target))
    results = evaluate_run(models, cfg, target, None, out, label=args.label or target.name)
    echo("\n".join(results["lines"]))
    echo(f"\nresults: {out / 'results.json'}\nreport: {out / 'report.md'}")
    return 0
