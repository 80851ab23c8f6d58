"""Load time (GGUF vs dense cache), forward throughput (fp32 vs bf16) and memory of an LM record.

    python bench/lm_load_speed.py                       # SmolLM2-135M, batch 8 x 128
    python bench/lm_load_speed.py --model gemma3-270m --batch 4

The GGUF load goes into a fresh temporary cache dir (so it really dequantises the GGUF), the
second build of the same record reads the dense safetensors copy written by the first. Library
imports happen before any timing. Throughput counts tokens through ``hidden_states`` plus
``logits`` at every position, under ``torch.inference_mode``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def forward_tok_s(lm, batch: int, length: int, repeats: int) -> float:
    import torch

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, lm.vocab_size, (batch, length), generator=g)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        def step():
            hidden = lm.hidden_states(lm.embed(ids), mask)
            return lm.logits(hidden.reshape(-1, lm.hidden_size))

        step()  # warm-up
        _, seconds = timed(lambda: [step() for _ in range(repeats)])
    return batch * length * repeats / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch
    import transformers  # noqa: F401  (import cost is not load time)

    import salad

    registry = salad.get_host().registry("teacher_lm")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory(prefix="salad-lm-bench-") as cache:
        cfg = {"model": args.model, "cache_dir": cache}
        lm, gguf_s = timed(lambda: registry.build("salad.gguf_lm.v1", cfg))
        del lm
        lm, dense_s = timed(lambda: registry.build("salad.gguf_lm.v1", cfg))
        print(f"load {args.model}: GGUF {gguf_s:.2f} s, dense cache {dense_s:.2f} s "
              f"({gguf_s / dense_s:.0f}x faster)")
        print(f"parameters+buffers fp32: {lm.memory_bytes() / 2**20:.0f} MiB")
        fp32 = forward_tok_s(lm, args.batch, args.length, args.repeats)
        bf16_lm = registry.build("salad.gguf_lm.v1", {**cfg, "dtype": "bfloat16"})
        print(f"parameters+buffers bf16: {bf16_lm.memory_bytes() / 2**20:.0f} MiB")
        del lm
        bf16 = forward_tok_s(bf16_lm, args.batch, args.length, args.repeats)
    print(f"forward batch {args.batch} x {args.length}: fp32 {fp32:.0f} tok/s, "
          f"bf16 {bf16:.0f} tok/s (bf16/fp32 = {bf16 / fp32:.2f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
