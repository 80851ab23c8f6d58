"""``salad plan RECIPE --gpus N --gpu-memory GB``: memory, throughput and wall time of Stage I."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan", help="estimate Stage I's memory per GPU, tokens/s and wall time (downloads "
                     "nothing)", description=__doc__)
    p.add_argument("recipe")
    p.add_argument("overrides", nargs="*", help="key=value overrides (dotted keys)")
    p.add_argument("--gpus", type=int, required=True, help="number of GPUs (all nodes)")
    p.add_argument("--gpu-memory", type=float, required=True, help="memory per GPU in GB")
    p.add_argument("--seq-len", type=int, default=2048,
                   help="tokens per training window (default 2048, the paper's context)")
    p.add_argument("--mfu", type=float, default=0.4,
                   help="assumed model FLOPs utilisation (default 0.4)")
    p.add_argument("--peak-tflops", type=float, default=989.0,
                   help="bf16 dense peak per GPU (default 989, an H100 SXM)")
    p.set_defaults(handler=cmd_plan)


def cmd_plan(args) -> int:
    import torch

    from ..core.errors import SaladError
    from ..recipe import validate_recipe
    from ..training.plan import PlanInput, lm_shape, plan

    v = validate_recipe(args.recipe, args.overrides)
    stage1 = [cfg for spec, cfg in v.stage_configs if spec.name == "stage1"]
    if not stage1:
        raise SaladError(f"{args.recipe} has no stage1 stage to plan")
    cfg = stage1[0]
    if args.gpus < 1 or cfg.grad_accum % args.gpus:
        raise SaladError(f"grad_accum={cfg.grad_accum} micro-batches per step do not divide "
                         f"among --gpus {args.gpus}")
    grad_accum = cfg.grad_accum
    if cfg.batch_tokens is not None:  # whole rounds of grad_accum micro-batches of full windows
        round_tokens = cfg.batch_size * cfg.grad_accum * args.seq_len
        grad_accum *= -(-cfg.batch_tokens // round_tokens)
    with torch.device("meta"):  # exact parameter count, no memory, no weights read
        adapter_params = sum(p.numel() for p in v.build("adapter").parameters())
    loss = v.build("loss")
    teacher = lm_shape(v.component("teacher").config.model) if loss.needs_teacher else None
    rows = plan(PlanInput(
        student=lm_shape(v.component("student").config.model), teacher=teacher,
        adapter_params=adapter_params, strategy=cfg.strategy, gpus=args.gpus,
        gpu_memory_gb=args.gpu_memory, batch_size=cfg.batch_size,
        grad_accum=grad_accum, steps=cfg.steps,
        seq_len=args.seq_len, activation_checkpointing=cfg.activation_checkpointing,
        mfu=args.mfu, peak_tflops=args.peak_tflops, teacher_sharding=cfg.teacher_sharding))
    width = max(len(label) for label, _ in rows)
    print(f"plan for {args.recipe} (Stage I)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    return 0
