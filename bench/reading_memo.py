"""Stage I's held-out reading metrics, again and again: the CTC adapter's memo of decoded words.

    python bench/reading_memo.py [--recipe recipes/mini/mini.yaml] [--limit 50] \
        [--adapter RUN/align/adapter.safetensors]

Stage I evaluates `reading_metrics` every `eval_every` steps on the same held-out halves. The
first call decodes each spoken first half once (the recipe's decoder: beam search with a
character LM) and reads the lexicon and character LM; the second runs with the adapter's memo
emptied first (every half decoded again, as before the memo); the third finds every transcript
in the memo, so it costs the LM forward passes only. Prints the seconds of each call, the
memo's hits and misses, and whether the calls gave the same metrics; then the adapter alone
on the same halves: milliseconds per utterance with the memo emptied first (head and
decoding) and with the memo filled. ``--adapter``: an aligned head (the align stage's
output); without it the head is random. Needs the miniature data (`salad data prepare-mini`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from salad.data.feature_cache import FeatureCache, ManifestFeatures, precompute_manifest
from salad.recipe import validate_recipe
from salad.speech.model import SpeechLM
from salad.training.checkpoint import load_adapter
from salad.training.data import pad_frames
from salad.training.reading import load_halves, reading_metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/mini/mini.yaml")
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--adapter", type=Path, default=None)
    args = ap.parse_args()
    v = validate_recipe(args.recipe)
    cfg = next(c for spec, c in v.stage_configs if spec.name == "stage1")
    held = cfg.heldout[0]
    rows = [json.loads(line) for line in Path(held.speech).read_text().splitlines()][: args.limit]
    sub = Path(tempfile.mkdtemp()) / "halves.jsonl"
    sub.write_text("".join(json.dumps(r) + "\n" for r in rows))
    encoder = v.build("encoder")
    report = precompute_manifest(sub, encoder, cfg.feature_cache, progress=False)
    features = ManifestFeatures(FeatureCache(cfg.feature_cache, encoder.cache_key()),
                                report.index)
    halves = load_halves(held.name, sub, held.texts, features.lengths())
    teacher, student, adapter = v.build("teacher"), v.build("student"), v.build("adapter")
    if args.adapter:
        load_adapter(args.adapter, adapter)
    model = SpeechLM(adapter, student)
    scorer = v.build("scorer")
    results = []
    forget = getattr(adapter, "clear_spelling_cache", lambda: None)
    for call in ("first call", "again, memo emptied", "again, memo filled"):
        if call == "again, memo emptied":
            forget()
        start = time.perf_counter()
        results.append(reading_metrics(model, teacher, scorer, halves, features))
        took = time.perf_counter() - start
        memo = getattr(adapter, "_memo", None)
        stats = f"; memo hits {memo.hits}, misses {memo.misses}" if memo is not None else ""
        print(f"{call:>20}: {took:6.2f} s for {len(halves.items)} halves{stats}")
    same = all(r == results[0] for r in results)
    print(f"same metrics: {same} (share_matched {results[0]['share_matched']:.4f}, "
          f"content_gain {results[0]['content_gain']:.4f})")
    if not hasattr(adapter, "clear_spelling_cache"):
        return
    ids = [it.id for it in halves.items]
    model.eval()
    for label, clear in (("memo emptied", True), ("memo filled", False)):
        if clear:
            forget()
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(ids), 16):
                model.speech_spans(*pad_frames(features(ids[i:i + 16])))
        took = time.perf_counter() - start
        print(f"adapter alone, {label}: {1000 * took / len(ids):6.2f} ms per utterance")


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
