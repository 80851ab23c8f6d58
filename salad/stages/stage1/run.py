"""Run function of the ``stage1`` stage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from ...core.errors import SaladError
from ...data.files import atomic_write_lines
from ...runner import RunContext
from ...speech.model import SpeechLM
from ...training.data import ExampleBuilder, read_utterances, windows
from ...training.stage1 import Stage1Trainer, held_out_examples


def _features(ctx: RunContext, encoder, manifests: list[Path], cache_root: str):
    """Encoder features of every utterance; bad lines and bad audio are skipped, listed in the
    report and written to ``stage1/failures.jsonl``."""
    from ...data.feature_cache import FeatureCache, ManifestFeatures, precompute_manifest

    index: dict[str, str] = {}
    failures = []
    for manifest in manifests:
        report = precompute_manifest(manifest, encoder, cache_root)
        ctx.note(f"- features for `{manifest}`: {report.summary()}")
        for failure in report.failed[:10]:
            ctx.note(f"  - skipped {failure.id or failure.where} ({failure.where}): "
                     f"{failure.reason}")
        failures += [{"manifest": str(manifest), **f.to_dict()} for f in report.failed]
        index.update(report.index)
    path = ctx.stage_dir() / "failures.jsonl"
    atomic_write_lines(path, (json.dumps(f) for f in failures))
    if failures:
        ctx.note(f"- {len(failures)} utterances skipped in all: `stage1/failures.jsonl`")
        print(f"stage1: {len(failures)} utterances skipped (bad manifest lines or audio); "
              f"reasons in {path}", file=sys.stderr)
    return ManifestFeatures(FeatureCache(cache_root, encoder.cache_key()), index)


def run(ctx: RunContext, cfg) -> None:
    v = ctx.validated
    torch.manual_seed(cfg.seed)
    encoder = v.build("encoder")
    train_path, held_path = Path(cfg.train_manifest), Path(cfg.heldout_manifest)
    features = _features(ctx, encoder, [train_path, held_path], cfg.feature_cache)
    lengths = features.lengths()
    usable = {rid for rid, n in lengths.items() if n <= cfg.max_frames}
    dropped = len(lengths) - len(usable)
    if dropped:
        ctx.note(f"- {dropped} utterances longer than max_frames={cfg.max_frames} skipped")
    train = [u for u in read_utterances(train_path)[0] if u.id in usable]
    held = [u for u in read_utterances(held_path)[0] if u.id in usable]

    teacher = v.build("teacher")
    student = v.build("student")
    adapter = v.build("adapter")
    model = SpeechLM(adapter, student)
    builder = ExampleBuilder(student, adapter.downsample, lengths)
    held_out = held_out_examples(windows(held, cfg.utterances_per_example), cfg.eval_examples,
                                 cfg.seed, cfg.speech_prob)
    train_windows = windows(train, cfg.utterances_per_example)
    if not held_out.windows:
        raise SaladError(f"{held_path}: no held-out windows of two or more utterances")
    teacher_comp = v.component("teacher")
    teacher_key = teacher_comp.record.name + json.dumps(
        teacher_comp.config.model_dump(mode="json"), sort_keys=True)
    trainer = Stage1Trainer(cfg, model, teacher, v.build("loss"), v.build("scorer"),
                            train_windows, held_out, builder, features, ctx.stage_dir(),
                            log=ctx.log_metrics, teacher_key=teacher_key)
    ctx.note(f"- {len(train)} training utterances in {len(train_windows)} windows; "
             f"{len(held_out.windows)} held-out windows")
    summary = trainer.run()
    first, last = summary["history"][0], summary["history"][-1]
    ctx.note("")
    ctx.note("| held-out metric | start | end |")
    ctx.note("| --- | --- | --- |")
    for key in ("misalignment", "forgetting", "speech_nll"):
        ctx.note(f"| {key} (nats/token) | {first[key]:.4f} | {last[key]:.4f} |")
    ctx.note(f"\nTrained {summary['step']} steps, {summary['tokens_seen']:,} positions. "
             "Checkpoints: `stage1/checkpoints/` (`pre-decay` resumes Stage II).")
    _plot(summary["history"], ctx.stage_dir() / "metrics.png")
    ctx.note("\n![held-out metrics](stage1/metrics.png)")


def _plot(history, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tokens = [h["tokens"] for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(tokens, [h["misalignment"] for h in history], marker="o", label="misalignment M")
    ax.plot(tokens, [h["forgetting"] for h in history], marker="s", label="forgetting F")
    ax.set_xlabel("training positions")
    ax.set_ylabel("nats / token")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
