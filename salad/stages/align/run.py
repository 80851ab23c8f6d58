"""Run function of the ``align`` stage."""

from __future__ import annotations

from pathlib import Path

import torch

from ...runner import RunContext
from ...training.align import AlignTrainer, CTCAlignable
from ...training.data import read_utterances
from ...training.device import resolve_device
from ..stage1.run import encoder_features


def run(ctx: RunContext, cfg) -> None:
    v = ctx.validated
    torch.manual_seed(cfg.seed)
    adapter = v.build("adapter")
    if not isinstance(adapter, CTCAlignable):
        ctx.note(f"- skipped: `{v.component('adapter').record.name}` has no CTC head to align; "
                 "Stage I starts from its initial weights")
        return
    encoder = v.build("encoder")
    paths = [Path(p) for p in (*cfg.train_manifests, *cfg.heldout_manifests)]
    features = encoder_features(ctx, encoder, paths, cfg.feature_cache)
    lengths = {k: n for k, n in features.lengths().items() if n <= cfg.max_frames}
    train = [u for p in cfg.train_manifests for u in read_utterances(p)[0] if u.id in lengths]
    heldout = {Path(p).stem: [u for u in read_utterances(p)[0] if u.id in lengths]
               [: cfg.eval_limit] for p in cfg.heldout_manifests}
    trainer = AlignTrainer(cfg, adapter, train, heldout, lengths, features, ctx.stage_dir(),
                           log=ctx.log_metrics, device=resolve_device(ctx.recipe.device))
    hours = sum(lengths[u.id] for u in train) / encoder.frame_rate / 3600
    ctx.note(f"- {len(train)} utterances ({hours:.2f} h) from "
             + ", ".join(f"`{p}`" for p in cfg.train_manifests))
    summary = trainer.run()
    ctx.note(f"- {summary['step']} CTC steps of {cfg.batch_size} utterances in "
             f"{summary['seconds']:.0f} s (no LM forward pass)")
    if summary["history"]:
        last = summary["history"][-1]
        ctx.note("- held-out WER of the adapter's transcripts (what the LM reads): " + ", ".join(
            f"{k.removeprefix('wer/')} {v:.3f}" for k, v in last.items() if k != "step"))
    ctx.note("- `align/adapter.safetensors`: the aligned adapter Stage I starts from")
