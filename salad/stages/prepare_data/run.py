"""Run function of the ``prepare_data`` stage."""

from __future__ import annotations

import json

from ...data.files import atomic_write_json
from ...runner import RunContext
from .mini import prepare_mini


def run(ctx: RunContext, cfg) -> None:
    summary = prepare_mini(cfg)
    atomic_write_json(ctx.stage_dir() / "summary.json", json.loads(
        json.dumps(summary.to_dict())))
    ctx.note("```text")
    ctx.note(summary.format())
    ctx.note("```")
    print(summary.format())
