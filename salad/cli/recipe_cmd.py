"""``salad validate``, ``salad config show`` and ``salad run``."""

from __future__ import annotations

import argparse


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

    p = sub.add_parser("run", help="run a recipe's stages in a new or resumed run directory")
    p.add_argument("recipe")
    p.add_argument("overrides", nargs="*")
    p.add_argument("--run-dir", help="run directory (resumes it when it exists)")
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

    validated = validate_recipe(args.recipe, args.overrides)
    run = Run(validated, Path(args.run_dir) if args.run_dir else None, wandb=args.wandb)
    print(f"run directory: {run.run_dir}")
    run.execute()
    print(f"report: {run.run_dir / 'report.md'}")
    return 0
