"""Run function of the ``evaluate`` stage (results in ``RUN/eval/``)."""

from __future__ import annotations

from ...evaluation.config import EvalConfig
from ...evaluation.run_models import evaluate_run, load_models, resolve_target
from ...runner import RunContext


def run(ctx: RunContext, cfg) -> None:
    run_dir, checkpoint = resolve_target(ctx.run_dir, cfg.checkpoint)
    eval_cfg = EvalConfig.model_validate(cfg.model_dump(exclude={"checkpoint"}))
    if checkpoint is None:
        ctx.note(f"- no checkpoint `{cfg.checkpoint}`: the initial student is evaluated")
    models = load_models(ctx.validated, checkpoint,
                         speech="student_speech" in eval_cfg.modes)
    out = evaluate_run(models, eval_cfg, run_dir, checkpoint, run_dir / "eval")
    for line in out["lines"]:
        ctx.note(line)
    ctx.note("")
    ctx.note("The evaluation report with plots: `eval/report.html` (and `eval/report.md`).")
