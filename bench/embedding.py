"""Text embedding throughput (sentences per second) on the miniature's broad text pool:
cold (every sentence embedded, written to the cache) and warm (every sentence read back from
the cache by its hash).

    python bench/embedding.py [--texts 4000] [--batch-size 64] [--threads N]
                              [--model all-MiniLM-L6-v2]

Texts come from the broad pool's corpus plugins (salad.wordnet_corpus.v1 and
salad.fortunes_corpus.v1), taken in a seeded order; the cache lives in a temporary folder.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from salad import get_host

CORPORA = ("salad.wordnet_corpus.v1", "salad.fortunes_corpus.v1")


def broad_texts(n: int, seed: int = 0) -> list[str]:
    host = get_host()
    texts = [r.text for name in CORPORA for r in host.registry("corpus").build(name)
             .iter_records()]
    random.Random(seed).shuffle(texts)
    return texts[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=4000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = broad_texts(args.texts)
    chars = [len(t) for t in texts]
    print(f"{len(texts)} texts from {', '.join(CORPORA)}: {statistics.mean(chars):.0f} "
          f"characters on average (median {statistics.median(chars):.0f}); "
          f"torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as cache:
        config = {"model": args.model, "batch_size": args.batch_size, "cache_dir": cache,
                  "progress": False}
        registry = get_host().registry("text_embedder")
        start = time.perf_counter()
        embedder = registry.build("salad.sentence_embedder.v1", config)
        load = time.perf_counter() - start
        start = time.perf_counter()
        embedder.embed(texts)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        registry.build("salad.sentence_embedder.v1", config).embed(texts)
        warm = time.perf_counter() - start
    print(f"model load:            {load:.2f} s")
    print(f"cold (embed + cache):  {len(texts) / cold:9.1f} sentences/s ({cold:.1f} s)")
    print(f"warm (cache, reload):  {len(texts) / warm:9.1f} sentences/s ({warm:.2f} s, model "
          "load and cache read included)")
    print(f"warm / cold:           {cold / warm:9.1f}x")


if __name__ == "__main__":
    main()
