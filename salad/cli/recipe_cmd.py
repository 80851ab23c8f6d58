"""``salad validate``, ``salad config show`` and ``salad run``."""

from __future__ import annotations

import argparse
import json

RUN_EXAMPLES = """\
examples:
  salad run recipes/mini/mini.yaml
      the main job: data, align, Stage I, Stage II, evaluation (CPU miniature)
  salad run recipes/mini/mini.yaml components.loss.config.alpha=0
      the NLL-only baseline: key=value overrides any recipe field (dotted keys)
  salad run recipes/mini/mini.yaml --run-dir runs/mini-20250101-120000
      resume a killed run: finished stages are skipped, training continues
  salad run recipes/mini/mini.yaml stages.3.config.selection.mode=uniform \\
      --reuse runs/mini-20250101-120000
      the uniform-selection baseline, reusing that run's data, align and Stage I
  salad run recipes/examples/inspect.yaml
      build every component once and check it (seconds)
  salad run recipes/mini/mini.yaml --wandb
      also log metrics to Weights & Biases (WANDB_MODE=offline keeps them local)

what a run leaves: recipe.yaml (every default filled in), metrics.jsonl, tensorboard/
(tensorboard --logdir RUN/tensorboard), one folder per stage, report.md.
before running: salad validate RECIPE; salad stages list; salad plugins list
"""


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a recipe without building anything (local plugin "
                                        "modules it lists are imported)")
    p.add_argument("recipe")
    p.add_argument("overrides", nargs="*", help="key=value overrides (dotted keys)")
    p.set_defaults(handler=cmd_validate)

    config = sub.add_parser("config", help="inspect recipes")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION")
    p = csub.add_parser("show", help="print a recipe after overrides and interpolation")
    p.add_argument("recipe")
    p.add_argument("overrides", nargs="*")
    p.add_argument("--resolved", action="store_true",
                   help="validate and expand every component config with its defaults")
    p.set_defaults(handler=cmd_config_show)
    config.set_defaults(handler=lambda args: config.print_help() or 2)

    p = sub.add_parser(
        "run", help="run a recipe's stages in a new or resumed run directory",
        description="Validate RECIPE, then run its stages in order in a run directory\n"
                    "(<output_dir>/<name>-<time> unless --run-dir is given). Finished stages\n"
                    "are skipped when the same directory is run again.",
        epilog=RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="YAML recipe, e.g. recipes/mini/mini.yaml")
    p.add_argument("overrides", nargs="*", help="key=value overrides (dotted keys)")
    p.add_argument("--run-dir", help="run directory (resumes it when it exists)")
    p.add_argument("--reuse", metavar="RUN", help="start a new run from RUN's finished stages "
                   "that this recipe leaves unchanged (linked, not redone): e.g. a baseline "
                   "that differs in a late stage")
    p.add_argument("--wandb", action="store_true",
                   help="also log metrics to Weights & Biases (needs the wandb extra)")
    p.set_defaults(handler=cmd_run)


def cmd_validate(args) -> int:
    from ..recipe import validate_recipe

    v = validate_recipe(args.recipe, args.overrides)
    n = sum(len(c) for c in v.components.values())
    print(f"{args.recipe}: valid ({n} components, {len(v.stage_configs)} stages)")
    return 0


def cmd_config_show(args) -> int:
    from ..data.files import dump_yaml
    from ..recipe import load_recipe, validate_recipe

    if args.resolved:
        print(validate_recipe(args.recipe, args.overrides).resolved_yaml(), end="")
    else:
        print(dump_yaml(load_recipe(args.recipe, args.overrides).data), end="")
    return 0


def cmd_run(args) -> int:
    from pathlib import Path

    from ..recipe import validate_recipe
    from ..runner import Run
    from ..tracking import TENSORBOARD_DIR

    validated = validate_recipe(args.recipe, args.overrides)
    run = Run(validated, Path(args.run_dir) if args.run_dir else None, wandb=args.wandb)
    print(f"run directory: {run.run_dir}")
    if args.reuse:
        from ..reuse import reuse_stages

        names = reuse_stages(Path(args.reuse), run.run_dir, validated.resolved())
        print(f"reused from {args.reuse}: {', '.join(names) or 'no stage (the first differs)'}")
        run.status = json.loads((run.run_dir / Run.STATUS).read_text(encoding="utf-8"))
    run.execute()
    print(f"report: {run.run_dir / 'report.md'}")
    if (run.run_dir / TENSORBOARD_DIR).is_dir():
        print(f"curves: tensorboard --logdir {run.run_dir / TENSORBOARD_DIR}")
    return 0
