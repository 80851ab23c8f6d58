"""Run function of the ``evaluate`` stage (results in ``RUN/eval/``; the untrained student's
reference in ``RUN/eval-initial/``)."""

from __future__ import annotations

from ...core.launch import env_world
from ...data.shards import process_group
from ...evaluation.config import EvalConfig
from ...evaluation.run_models import evaluate_run, load_models, resolve_target, swap_speech_lm
from ...runner import RunContext


def run(ctx: RunContext, cfg) -> None:
    """Under ``torchrun`` every rank evaluates its share (:mod:`salad.evaluation.suite`)."""
    world = env_world()
    with process_group(world):
        world.barrier()  # rank 0 has written the run directory (recipe.yaml)
        _evaluate(ctx, cfg)


def _evaluate(ctx: RunContext, cfg) -> None:
    run_dir, checkpoint = resolve_target(ctx.run_dir, cfg.checkpoint)
    eval_cfg = EvalConfig.model_validate(cfg.model_dump(exclude={
        "checkpoint", "untrained_reference", "baseline_checkpoint"}))
    if checkpoint is None:
        ctx.note(f"- no checkpoint `{cfg.checkpoint}`: the initial student is evaluated")
    models = load_models(ctx.validated, checkpoint,
                         speech="student_speech" in eval_cfg.modes)
    out = evaluate_run(models, eval_cfg, run_dir, checkpoint, run_dir / "eval")
    for line in out["lines"]:
        ctx.note(line)
    ctx.note("")
    ctx.note("The evaluation report with plots: `eval/report.html` (and `eval/report.md`).")
    if cfg.baseline_checkpoint and checkpoint is not None:
        _baseline(ctx, cfg, models, eval_cfg, run_dir, out)
    if _wants_reference(cfg, eval_cfg, checkpoint):
        _untrained_reference(ctx, models, eval_cfg, run_dir, out)


def _baseline(ctx: RunContext, cfg, models, eval_cfg: EvalConfig, run_dir, out) -> None:
    """The baseline checkpoint's student on the same items (text and speech; teacher and
    cascade scores come from the score cache), into ``eval-<name>/``, and the table of both in
    the run's report."""
    from ...reporting import results_from_dict
    from ...reporting.reference import before_after_table

    _, checkpoint = resolve_target(run_dir, cfg.baseline_checkpoint)
    name = cfg.baseline_checkpoint.replace("/", "-")
    models.speech_lm = None  # free the evaluated student first
    base = evaluate_run(swap_speech_lm(ctx.validated, models, checkpoint), eval_cfg, run_dir,
                        checkpoint, run_dir / f"eval-{name}",
                        label=f"{run_dir.name}@{cfg.baseline_checkpoint}")
    ctx.note("")
    ctx.note(f"The same items with `{cfg.baseline_checkpoint}` (`eval-{name}/report.md`) and "
             f"with `{cfg.checkpoint}`:")
    ctx.note("")
    for line in before_after_table(results_from_dict(base), results_from_dict(out),
                                   cfg.baseline_checkpoint, cfg.checkpoint):
        ctx.note(line)


def _wants_reference(cfg, eval_cfg: EvalConfig, checkpoint) -> bool:
    """The reference needs a trained student, its speech and the cascade."""
    return (cfg.untrained_reference and checkpoint is not None
            and {"student_speech", "cascade"} <= set(eval_cfg.modes))


def _untrained_reference(ctx: RunContext, models, eval_cfg: EvalConfig, run_dir, trained) -> None:
    """The untrained student's speech gap in the main voice (teacher scores come from the score
    cache), and the reference gaps in the run's report."""
    from ...reporting import results_from_dict
    from ...reporting.reference import reference_summary

    ref_cfg = eval_cfg.model_copy(update={"modes": ["teacher_text", "student_speech"],
                                          "voices": eval_cfg.voices[:1], "recordings": {}})
    models.speech_lm = None  # the trained student is scored: free it first
    untrained = evaluate_run(swap_speech_lm(ctx.validated, models), ref_cfg, run_dir, None,
                             run_dir / "eval-initial", label=f"{run_dir.name}@initial")
    ctx.note("")
    for line in reference_summary(results_from_dict(trained), results_from_dict(untrained)):
        ctx.note(line)
    ctx.note("")
    ctx.note("The untrained student's evaluation: `eval-initial/report.md`.")
