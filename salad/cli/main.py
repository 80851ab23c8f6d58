"""Entry point of the ``salad`` command. Subcommands live in sibling modules.

Start-up stays light: torch and model code load only when a stage builds components.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import (
    data_cmd,
    eval_cmd,
    export_cmd,
    plan_cmd,
    plugins_cmd,
    recipe_cmd,
    report_cmd,
    stages_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salad",
        description="SALAD: adapt text LLMs to spoken input (recipes, plugins, runs).")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    plugins_cmd.add_commands(sub)
    recipe_cmd.add_commands(sub)
    stages_cmd.add_commands(sub)
    data_cmd.add_commands(sub)
    eval_cmd.add_commands(sub)
    report_cmd.add_commands(sub)
    export_cmd.add_commands(sub)
    plan_cmd.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # key=value overrides may follow options (``salad run R --run-dir D lr=1e-3``).
    if extra and hasattr(args, "overrides") and all("=" in e and not e.startswith("-")
                                                     for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.version:
        from .. import __version__

        print(__version__)
        return 0
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from ..core.errors import SaladError

    try:
        return int(args.handler(args) or 0)
    except SaladError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output went into a command that stopped reading (head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
