"""``salad stages list | describe``: the stages a recipe can list and their config fields."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    stages = sub.add_parser("stages", help="list the pipeline stages and describe their configs")
    ssub = stages.add_subparsers(dest="stages_command", metavar="ACTION")
    p = ssub.add_parser("list", help="every stage: name, the component slots it needs, summary")
    p.set_defaults(handler=cmd_list)
    p = ssub.add_parser("describe", help="a stage's config fields, defaults and docs")
    p.add_argument("name", help="stage name, e.g. stage1")
    p.set_defaults(handler=cmd_describe)
    stages.set_defaults(handler=lambda args: stages.print_help() or 2)


def cmd_list(args) -> int:
    from ..stages import STAGES

    width = max(len(name) for name in STAGES)
    for name, stage in STAGES.items():
        print(f"{name:<{width}}  {stage.summary}")
        print(f"{'':<{width}}  needs: {', '.join(stage.needs) or 'nothing'}; "
              f"{len(stage.config.model_fields)} config fields")
    print("\nsalad stages describe NAME shows a stage's config fields, defaults and docs.")
    return 0


def cmd_describe(args) -> int:
    from ..core.errors import SaladError
    from ..core.suggest import did_you_mean
    from ..stages import STAGES
    from .fields import config_doc, field_lines

    stage = STAGES.get(args.name)
    if stage is None:
        raise SaladError(f"no stage named {args.name!r}{did_you_mean(args.name, list(STAGES))} "
                         f"(stages: {', '.join(STAGES)})")
    print(f"{stage.name}: {stage.summary}")
    print(f"  needs: {', '.join(stage.needs) or 'nothing'}   runs: {stage.run}")
    if doc := config_doc(stage.config):
        print(f"  {doc}")
    fields = field_lines(stage.config)
    print("  config:" if fields else "  config: no fields")
    if fields:
        print("\n".join(fields))
    if "seed" in stage.config.model_fields:
        print("  seed: the recipe's seed unless the stage config sets it")
    return 0
