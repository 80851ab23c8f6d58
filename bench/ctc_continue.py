"""Held-out word error rate of a run's aligned CTC head before and after more CTC steps on
extra speech (for example the texts a Stage II run selected, spoken in its voice).

    python bench/ctc_continue.py RUN [--extra M.jsonl ...] [--steps 300] [--repeat 4] \
        [--lr 5e-4] [--heldout M.jsonl ...] [--limit 400]

Reads the run's resolved recipe and ``align/adapter.safetensors``, continues the head's CTC
training (the align stage's trainer, on cached encoder frames, no LM pass) on the align stage's
own training manifests plus each ``--extra`` manifest repeated ``--repeat`` times, and prints
the WER (the recipe's decoding) on each held-out manifest before and after. Without
``--extra`` it measures the same number of steps on the align stage's data alone: the control.
Nothing is written into the run; the continued head is kept in a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from salad.data.feature_cache import FeatureCache, ManifestFeatures, precompute_manifest
from salad.recipe import validate_recipe
from salad.training.align import AlignTrainer
from salad.training.checkpoint import load_adapter
from salad.training.config import AlignConfig
from salad.training.data import read_utterances

DEFAULT_HELDOUT = ["data/mini/speech/narrow_halves.jsonl", "data/mini/speech/broad_halves.jsonl"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--extra", nargs="*", default=[])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--heldout", nargs="+", default=DEFAULT_HELDOUT)
    ap.add_argument("--limit", type=int, default=400)
    args = ap.parse_args()
    v = validate_recipe(args.run / "recipe.yaml")
    align = next(cfg for spec, cfg in v.stage_configs if spec.name == "align")
    encoder = v.build("encoder")
    index = {}
    for m in [*align.train_manifests, *args.extra, *args.heldout]:
        index.update(precompute_manifest(m, encoder, align.feature_cache, progress=False).index)
    features = ManifestFeatures(FeatureCache(align.feature_cache, encoder.cache_key()), index)
    lengths = {k: n for k, n in features.lengths().items() if n <= align.max_frames}

    def utterances(paths):
        return [u for p in paths for u in read_utterances(p)[0] if u.id in lengths]

    extra = utterances(args.extra)
    train = utterances(align.train_manifests) + extra * args.repeat
    heldout = {Path(p).stem: utterances([p])[: args.limit] for p in args.heldout}
    cfg = AlignConfig(train_manifests=["-"], steps=args.steps, lr=args.lr,
                      warmup_steps=min(20, args.steps), eval_every=args.steps,
                      eval_limit=args.limit, checkpoint_every=args.steps + 1,
                      max_frames=align.max_frames, seed=align.seed)
    adapter = v.build("adapter")
    load_adapter(args.run / "align" / "adapter.safetensors", adapter)
    torch.manual_seed(align.seed)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = AlignTrainer(cfg, adapter, train, heldout, lengths, features, Path(tmp))
        before = trainer.evaluate()
        after = trainer.run(progress=False)["history"][-1]
    own = len(train) - len(extra) * args.repeat
    print(f"{len(extra)} extra utterances x {args.repeat} beside {own} of the align stage; "
          f"{args.steps} CTC steps at lr {args.lr:g}")
    print(f"{'held-out set':<24}{'WER before':>12}{'WER after':>12}")
    for name in heldout:
        print(f"{name:<24}{before[f'wer/{name}']:>12.3f}{after[f'wer/{name}']:>12.3f}")


if __name__ == "__main__":
    main()
