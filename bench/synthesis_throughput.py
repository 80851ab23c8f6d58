"""Synthesis throughput: 1 vs 2 worker processes, cold vs warm audio cache, in one run.

    python bench/synthesis_throughput.py [--texts 60] [--engine salad.espeak_tts.v1]

Uses popquotes text when that corpus is installed, else WordNet glosses. Each cold run starts
from an empty cache; the warm run repeats the 2-worker job against the filled cache with a fresh
output manifest (every item is a cache hit). Prints utterances/s and the ratios.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import islice
from pathlib import Path

from salad import get_host
from salad.data.manifests import write_text_manifest
from salad.synthesis import SynthesisConfig, run_synthesis


def _texts(n: int):
    reg = get_host().registry("corpus")
    for name in ("salad.popquotes_corpus.v1", "salad.wordnet_corpus.v1"):
        try:
            return list(islice(reg.build(name, {"limit": n}).iter_records(), n)), name
        except Exception:  # corpus not installed: try the next one
            continue
    raise SystemExit("no corpus available (install popquotes or wordnet-base)")


def _run(tmp: Path, tag: str, workers: int, cache: str, voices: list[dict]):
    cfg = SynthesisConfig(input=str(tmp / "texts.jsonl"), output=str(tmp / tag / "speech.jsonl"),
                          cache_dir=cache, voices=voices, workers=workers, progress=False)
    start = time.perf_counter()
    summary = run_synthesis(cfg)
    return time.perf_counter() - start, summary.to_dict()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", type=int, default=60)
    ap.add_argument("--engine", default="salad.espeak_tts.v1")
    ap.add_argument("--voices", default="en-us,en-gb-scotland,en-us+f3",
                    help="comma-separated voices of --engine")
    args = ap.parse_args()
    voices = [{"engine": args.engine, "voice": v} for v in args.voices.split(",")]
    records, corpus = _texts(args.texts)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        write_text_manifest(tmp / "texts.jsonl", records)
        t1, s1 = _run(tmp, "cold1", 1, str(tmp / "cache1"), voices)
        t2, s2 = _run(tmp, "cold2", 2, str(tmp / "cache2"), voices)
        tw, sw = _run(tmp, "warm2", 2, str(tmp / "cache2"), voices)
    n = len(records)
    assert s1["written"] == s2["written"] == sw["written"] == n, (s1, s2, sw)
    assert sw["cache_hits"] == n and sw["synthesized"] == 0
    rows = {"cold, 1 worker": t1, "cold, 2 workers": t2, "warm cache, 2 workers": tw}
    print(f"{n} utterances from {corpus}, engine {args.engine}, voices {args.voices}")
    for label, t in rows.items():
        print(f"  {label:<22} {t:7.2f} s  {n / t:7.1f} utt/s")
    print(f"speed-up 2 vs 1 workers (cold cache): {t1 / t2:.2f}x")
    print(f"speed-up warm vs cold cache (2 workers): {t2 / tw:.2f}x")
    print(json.dumps({"n": n, "cold1_s": round(t1, 3), "cold2_s": round(t2, 3),
                      "warm2_s": round(tw, 3), "workers_ratio": round(t1 / t2, 3),
                      "cache_ratio": round(t2 / tw, 3)}))


if __name__ == "__main__":
    main()
