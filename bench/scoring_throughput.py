"""Items/s of batched log-likelihood scoring vs one request at a time, in one run.

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/scoring_throughput.py \\
        --benchmark openbookqa --items 32 --batch-size 16

Both passes score the same seeded items (0-shot, no cache); the batched pass sorts requests by
length and pads them into batches, the single pass runs one (context, option) per forward.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lm import load_lm  # noqa: E402

from salad.core.plugin_host import get_host  # noqa: E402
from salad.evaluation import LoglikScorer, evaluate  # noqa: E402


def timed(scorer, items, model_id):
    t0 = time.perf_counter()
    res = evaluate(scorer, items, model_id=model_id, shots=0, chunk_items=len(items))
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--benchmark", default="openbookqa")
    ap.add_argument("--items", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    lm, model_id = load_lm(args.dtype)
    items = list(get_host().registry("benchmark").build(
        f"salad.{args.benchmark}.v1", {"limit": args.items, "seed": args.seed}).iter_items())
    timed(LoglikScorer(lm, batch_size=args.batch_size), items[:2], model_id)  # warm-up
    t_batch, batched = timed(LoglikScorer(lm, batch_size=args.batch_size), items, model_id)
    t_single, single = timed(LoglikScorer(lm, batch_size=1), items, model_id)
    diff = max(abs(a - b) for x, y in zip(batched.scores, single.scores, strict=True)
               for a, b in zip(x.loglik, y.loglik, strict=True))
    n = len(items)
    print(f"{args.benchmark}: {n} items, {sum(len(s.loglik) for s in batched.scores)} requests, "
          f"{model_id}")
    print(f"batched (batch {args.batch_size}): {n / t_batch:.2f} items/s ({t_batch:.1f} s)")
    print(f"one at a time:        {n / t_single:.2f} items/s ({t_single:.1f} s)")
    print(f"speed-up: {t_single / t_batch:.2f}x; max |loglik difference|: {diff:.2e} nats")


if __name__ == "__main__":
    main()
