"""Text-mode accuracy of SmolLM2-135M on local benchmark files, 0- and k-shot, raw and
length-normalised. Per-item scores are cached, so an interrupted run resumes.

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/eval_text.py \\
        --benchmarks openbookqa piqa arc_challenge hellaswag --shots 0 5 --limit 100
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lm import ROOT, load_lm  # noqa: E402

from salad.core.plugin_host import get_host  # noqa: E402
from salad.evaluation import LoglikScorer, ScoreCache, evaluate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--benchmarks", nargs="+",
                    default=["openbookqa", "piqa", "arc_challenge", "hellaswag"])
    ap.add_argument("--shots", nargs="+", type=int, default=[0, 5])
    ap.add_argument("--limit", type=int, nargs="+", default=None,
                    help="seeded subset size (one value, or one per --shots value)")
    ap.add_argument("--seed", type=int, default=0, help="subset and few-shot seed")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--cache", default=str(ROOT / ".cache" / "eval" / "scores.jsonl"))
    ap.add_argument("--out", default=None, help="write the summary rows as JSON here")
    args = ap.parse_args()
    limits = args.limit or [None]
    if len(limits) == 1:
        limits = limits * len(args.shots)

    lm, model_id = load_lm(args.dtype)
    scorer = LoglikScorer(lm, batch_size=args.batch_size)
    cache = ScoreCache(args.cache)
    reg = get_host().registry("benchmark")
    rows = []
    for shots, limit in zip(args.shots, limits, strict=True):
        for name in args.benchmarks:
            rec = f"salad.{name}.v1"
            pool = list(reg.build(rec).iter_items())
            items = list(reg.build(rec, {"limit": limit, "seed": args.seed}).iter_items())
            t0 = time.time()
            res = evaluate(scorer, items, model_id=model_id, shots=shots, seed=args.seed,
                           pool=pool, cache=cache, chunk_items=16,
                           progress=lambda d, t, n=name, s=shots: print(
                               f"  {n} {s}-shot {d}/{t}", file=sys.stderr, flush=True))
            row = {**res.summary(), "total": len(pool), "seconds": round(time.time() - t0, 1),
                   "model": model_id}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| benchmark | shots | n (of total) | acc | acc_norm |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['benchmark']} | {r['shots']} | {r['n']} ({r['total']}) | "
              f"{r['acc']:.3f} | {r['acc_norm']:.3f} |")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
