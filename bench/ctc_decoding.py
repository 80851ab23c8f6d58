"""Word error rate of a run's aligned CTC adapter under each decoding, measured in one run
(the align stage's held-out WER, :func:`salad.training.align.heldout_wer`).

    python bench/ctc_decoding.py RUN [--limit 100] [--manifests M ...]

Reads the run's resolved recipe and its ``align/adapter.safetensors`` and transcribes the
spoken first halves of the held-out halves (voices no training set uses) four ways: greedy,
greedy + lexicon, beam search with the character LM, beam + lexicon (what the LM reads with
``decoder: beam``), and that beam's distinct transcripts rescored by the recipe's teacher LM
(``rescore_lm``, weight 0.3). Prints the WER per manifest and the decoding time per utterance.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from salad.data.feature_cache import FeatureCache, ManifestFeatures, precompute_manifest
from salad.recipe import validate_recipe
from salad.training.align import heldout_wer
from salad.training.checkpoint import load_adapter
from salad.training.data import read_utterances

DEFAULT_MANIFESTS = ["data/mini/speech/narrow_halves.jsonl", "data/mini/speech/broad_halves.jsonl"]
DECODINGS = {"greedy": {"decoder": "greedy", "lexicon": False},
             "greedy + lexicon": {"decoder": "greedy", "lexicon": True},
             "beam + character LM": {"decoder": "beam", "lexicon": False},
             "beam + LM + lexicon": {"decoder": "beam", "lexicon": True},
             "+ teacher LM rescoring": {"decoder": "beam", "lexicon": True,
                                        "rescore_lm": "teacher"}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--manifests", nargs="+", default=DEFAULT_MANIFESTS)
    args = ap.parse_args()
    v = validate_recipe(args.run / "recipe.yaml")
    align = next(cfg for spec, cfg in v.stage_configs if spec.name == "align")
    encoder = v.build("encoder")
    sets, index = {}, {}
    for m in args.manifests:
        index.update(precompute_manifest(m, encoder, align.feature_cache, progress=False).index)
        sets[Path(m).stem] = [u for u in read_utterances(m)[0] if u.id in index][: args.limit]
    features = ManifestFeatures(FeatureCache(align.feature_cache, encoder.cache_key()), index)
    base = v.component("adapter").config.model_dump()
    record = v.component("adapter").record
    print(f"{'decoding':<22}" + "".join(f"{n:>16}" for n in sets) + f"{'ms/utterance':>14}")
    teacher = v.component("teacher")
    teacher_ref = {"name": teacher.record.name, "config": teacher.config.model_dump()}
    for name, change in DECODINGS.items():
        if change.get("rescore_lm") == "teacher":
            change = {**change, "rescore_lm": teacher_ref}
        adapter = record.build({**base, **change})
        load_adapter(args.run / "align" / "adapter.safetensors", adapter)
        adapter.eval()
        row, seconds = [], 0.0
        for utts in sets.values():
            start = time.perf_counter()
            row.append(heldout_wer(adapter, utts, features)[0])
            seconds += time.perf_counter() - start
        count = sum(len(u) for u in sets.values())
        print(f"{name:<22}" + "".join(f"{w:>16.3f}" for w in row)
              + f"{1000 * seconds / count:>14.1f}")


if __name__ == "__main__":
    main()
