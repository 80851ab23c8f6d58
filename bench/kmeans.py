"""k-means at Stage II's scale: faiss against scikit-learn on the same rows, K and iterations.

    python bench/kmeans.py [--rows 200000] [--dim 384] [--k 128] [--iters 20] [--balanced]

The rows are a seeded mixture of 1,000 Gaussian blobs on the unit sphere, shaped like sentence
embeddings. Both backends run through their plugins (normalised rows, one k-means++ / random
start, the same iteration count); faiss trains on its default sample of 256 rows per centroid
and on every row, then assigns every row. Each line reports the wall time and the inertia on
all rows (lower is better); ratios are scikit-learn's time over faiss's, from this one run.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from salad import get_host


def embeddings_like(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(1000, dim)).astype(np.float32)
    x = centres[rng.integers(0, 1000, size=rows)]
    x += rng.normal(scale=0.6, size=x.shape).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def timed(name: str, config: dict, x: np.ndarray) -> tuple[float, float]:
    backend = get_host().registry("clustering").build(name, config)
    start = time.perf_counter()
    result = backend.fit(x)
    return time.perf_counter() - start, result.inertia


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--k", type=int, default=128)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--balanced", action="store_true", help="also time balanced clusters")
    args = ap.parse_args()
    x = embeddings_like(args.rows, args.dim)
    common = {"n_clusters": args.k, "max_iter": args.iters, "n_init": 1, "seed": 0}
    runs = {
        "scikit-learn": ("salad.sklearn_kmeans.v1", common),
        "faiss (256 rows/centroid)": ("salad.faiss_kmeans.v1", common),
        "faiss (every row)": ("salad.faiss_kmeans.v1",
                              {**common, "max_points_per_centroid": args.rows}),
    }
    if args.balanced:
        runs["faiss + balanced"] = ("salad.faiss_kmeans.v1", {**common, "balanced": True})
    print(f"{args.rows} x {args.dim} rows, K = {args.k}, {args.iters} iterations")
    times = {}
    for label, (name, config) in runs.items():
        times[label], inertia = timed(name, config, x)
        print(f"{label:27s} {times[label]:8.1f} s   inertia {inertia:12.1f}")
    base = times["scikit-learn"]
    for label in list(runs)[1:]:
        print(f"scikit-learn / {label}: {base / times[label]:.1f}x")


if __name__ == "__main__":
    main()
