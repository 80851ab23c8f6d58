"""Word error rate of a run's aligned CTC adapter under each decoding, measured in one run.

    python bench/ctc_decoding.py RUN [--limit 100] [--manifests M ...]

Reads the run's resolved recipe and its ``align/adapter.safetensors`` and transcribes the
spoken first halves of the held-out halves (voices no training set uses) four ways: greedy,
greedy + lexicon, beam search with the character LM, beam + lexicon (what the LM reads with
``decoder: beam``). Prints the WER per manifest and the decoding time per utterance.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from salad.asr.wer import corpus_wer
from salad.data.feature_cache import FeatureCache, file_hash
from salad.data.manifests import read_speech_manifest
from salad.recipe import validate_recipe
from salad.training.checkpoint import load_adapter
from salad.training.data import pad_frames

DEFAULT_MANIFESTS = ["data/mini/speech/narrow_halves.jsonl", "data/mini/speech/broad_halves.jsonl"]
DECODINGS = {"greedy": {"decoder": "greedy", "lexicon": False},
             "greedy + lexicon": {"decoder": "greedy", "lexicon": True},
             "beam + character LM": {"decoder": "beam", "lexicon": False},
             "beam + LM + lexicon": {"decoder": "beam", "lexicon": True}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--manifests", nargs="+", default=DEFAULT_MANIFESTS)
    args = ap.parse_args()
    v = validate_recipe(args.run / "recipe.yaml")
    encoder = v.build("encoder")
    cache = FeatureCache(".cache/features", encoder.cache_key())
    sets = {}
    for m in args.manifests:
        recs = read_speech_manifest(m).records[: args.limit]
        sets[Path(m).stem] = (recs, [cache.get(file_hash(r.audio)) for r in recs])
    base = v.component("adapter").config.model_dump()
    record = v.component("adapter").record
    print(f"{'decoding':<22}" + "".join(f"{n:>16}" for n in sets) + f"{'ms/utterance':>14}")
    for name, change in DECODINGS.items():
        adapter = record.build({**base, **change})
        load_adapter(args.run / "align" / "adapter.safetensors", adapter)
        adapter.eval()
        row, seconds, count = [], 0.0, 0
        for recs, feats in sets.values():
            missing = [r.id for r, f in zip(recs, feats) if f is None]
            if missing:
                raise SystemExit(f"no cached features for {missing[:3]}: run the align stage")
            start = time.perf_counter()
            hyps = []
            with torch.no_grad():
                for i in range(0, len(recs), 32):
                    hyps += adapter.transcribe(*pad_frames(feats[i:i + 32]))
            seconds += time.perf_counter() - start
            count += len(recs)
            refs = [adapter.alphabet.normalize(r.text) for r in recs]
            row.append(corpus_wer(list(zip(refs, hyps))))
        print(f"{name:<22}" + "".join(f"{w:>16.3f}" for w in row)
              + f"{1000 * seconds / count:>14.1f}")


if __name__ == "__main__":
    main()
