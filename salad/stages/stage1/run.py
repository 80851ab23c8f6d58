"""Run function of the ``stage1`` stage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from ...core.launch import env_world
from ...data.files import atomic_write_lines
from ...evaluation.run_models import slot_id
from ...runner import RunContext
from ...speech.model import SpeechLM
from ...training.checkpoint import load_adapter
from ...training.data import ExampleBuilder, read_utterances, windows
from ...training.device import resolve_device
from ...training.distributed import init
from ...training.reading import halves_windows, load_halves
from ...training.reading_cache import ReadingCache
from ...training.stage1 import Stage1Trainer


def encoder_features(ctx: RunContext, encoder, manifests: list[Path], cache_root: str):
    """Encoder features of every utterance; bad lines and bad audio are skipped, listed in the
    report and written to ``failures.jsonl`` in the stage's folder."""
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
        ctx.note(f"- {len(failures)} utterances skipped in all: "
                 f"`{path.relative_to(ctx.run_dir)}`")
        print(f"{ctx.stage_dir().name}: {len(failures)} utterances skipped (bad manifest lines "
              f"or audio); reasons in {path}", file=sys.stderr)
    return ManifestFeatures(FeatureCache(cache_root, encoder.cache_key()), index)


def reading_cache(ctx: RunContext, cfg) -> ReadingCache:
    """The held-out reading metrics of the run's saved weights (beside the feature cache),
    keyed by the run's components: Stage II reads those Stage I measured."""
    return ReadingCache(Path(cfg.feature_cache).parent / "reading",
                        ctx.validated.resolved()["components"])


def run(ctx: RunContext, cfg) -> None:
    v = ctx.validated
    device = resolve_device(ctx.recipe.device, env_world().local_rank)
    world = init(cfg.strategy, device)
    torch.manual_seed(cfg.seed)
    encoder = v.build("encoder")
    train_path = Path(cfg.train_manifest)
    features = encoder_features(
        ctx, encoder, [train_path, *(Path(h.speech) for h in (*cfg.train_halves, *cfg.heldout))],
        cfg.feature_cache)
    lengths = features.lengths()
    usable = {rid for rid, n in lengths.items() if n <= cfg.max_frames}
    dropped = len(lengths) - len(usable)
    if dropped:
        ctx.note(f"- {dropped} utterances longer than max_frames={cfg.max_frames} skipped")
    train = [u for u in read_utterances(train_path)[0] if u.id in usable]
    usable_lengths = {k: lengths[k] for k in usable}
    held = [load_halves(h.name, h.speech, h.texts, usable_lengths, h.limit) for h in cfg.heldout]
    train_halves = [load_halves(h.name, h.speech, h.texts, usable_lengths, h.limit)
                    for h in cfg.train_halves]

    teacher = v.build("teacher")
    student = v.build("student")
    adapter = v.build("adapter")
    aligned = ctx.run_dir / "align" / "adapter.safetensors"
    if aligned.is_file():
        load_adapter(aligned, adapter)
        ctx.note(f"- adapter starts from the align stage (`{aligned.relative_to(ctx.run_dir)}`)")
    model = SpeechLM(adapter, student)
    builder = ExampleBuilder(student)
    train_windows = windows(train, cfg.utterances_per_example)
    half_windows = [w for h in train_halves for w in halves_windows(h, cfg.mismatched_halves)]
    crossed = len(half_windows) - sum(len(h.items) for h in train_halves)
    train_windows += half_windows
    trainer = Stage1Trainer(cfg, model, teacher, v.build("loss"), v.build("scorer"),
                            train_windows, held, builder, features, ctx.stage_dir(),
                            log=ctx.log_metrics, teacher_key=slot_id(v, "teacher"),
                            device=device, world=world,
                            reading_cache=reading_cache(ctx, cfg))
    ctx.note(f"- device {device}, {world.size} rank(s), strategy {cfg.strategy}")
    ctx.note(f"- {len(train)} training utterances in {len(train_windows) - len(half_windows)} "
             f"windows; {len(half_windows) - crossed} training halves (spoken first half, "
             f"text second half) and {crossed} with another text's first half spoken; "
             "held-out halves: " + ", ".join(f"{h.name} {len(h.items)}" for h in held))
    summary = trainer.run()
    first, last = summary["history"][0], summary["history"][-1]
    ctx.note("")
    ctx.note("| held-out metric | start | end |")
    ctx.note("| --- | --- | --- |")
    for key in ("misalignment", "forgetting"):
        ctx.note(f"| {key} (nats/token) | {first[key]:.4f} | {last[key]:.4f} |")
    for h in held:
        for key in ("misalignment", "content_gain", "share_matched", "share_mismatched",
                    "share_text_mismatched"):
            k = f"{h.name}/{key}"
            ctx.note(f"| {h.name}: {key} | {first[k]:.4f} | {last[k]:.4f} |")
    ctx.note(f"\nTrained {summary['step']} steps, {summary['tokens_seen']:,} positions. "
             "Checkpoints: `stage1/checkpoints/` (`pre-decay` resumes Stage II).")
    if world.main:
        _plot(summary["history"], ctx.stage_dir() / "metrics.png")
    ctx.note("\n![held-out metrics](stage1/metrics.png)")


def _plot(history, path: Path) -> None:
    """M and F, and per held-out set the information share of matched (solid) and mismatched
    (dashed) speech and of the mismatched item's text (dotted), over training positions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tokens = [h["tokens"] for h in history]
    sets = sorted({k.split("/")[0] for k in history[0] if "/" in k})
    fig, (ax, ax_s) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax.plot(tokens, [h["misalignment"] for h in history], marker="o", label="misalignment M")
    ax.plot(tokens, [h["forgetting"] for h in history], marker="s", label="forgetting F")
    ax.set_xlabel("training positions")
    ax.set_ylabel("nats / token")
    ax.legend()
    for i, name in enumerate(sets):
        color = f"C{i}"
        ax_s.plot(tokens, [h[f"{name}/share_matched"] for h in history], color=color,
                  marker="o", label=f"{name}: matched speech")
        ax_s.plot(tokens, [h[f"{name}/share_mismatched"] for h in history], color=color,
                  linestyle="--", label=f"{name}: mismatched speech")
        ax_s.plot(tokens, [h[f"{name}/share_text_mismatched"] for h in history], color=color,
                  linestyle=":", label=f"{name}: mismatched text")
    ax_s.axhline(0.0, color="grey", linewidth=0.8)
    ax_s.set_xlabel("training positions")
    ax_s.set_ylabel("information share (1 = text)")
    ax_s.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
