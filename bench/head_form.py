"""What the CTC head's written form costs a perfect reader: the teacher's accuracy on benchmark
items with the spoken part of each context as written, and in the form the head spells
(lower case, no punctuation or digits: ``salad.ctc_adapter.v1``'s default alphabet, or
``--alphabet``).

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/head_form.py \\
        [--benchmarks lambada piqa hellaswag] [--limit 100] [--student RUN/stage1/checkpoints/final]

The difference is the ceiling a head with no word errors keeps: what case and punctuation are
worth to the LM on each benchmark. With ``--student`` the LM is a trained student (its
checkpoint's LM weights), which Stage I taught to read the head's form. Nothing is cached; the
subsets are the evaluate stage's (seed 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lm import load_lm  # noqa: E402
from salad_plugins.ctc_adapter.head import Alphabet  # noqa: E402
from salad_plugins.ctc_adapter.hooks import CTCAdapterConfig  # noqa: E402

from salad.core.plugin_host import get_host  # noqa: E402
from salad.evaluation import LoglikScorer, evaluate  # noqa: E402
from salad.evaluation.spoken import split_context  # noqa: E402


def head_form(item, alphabet: Alphabet):
    part = split_context(item.context)
    return dataclasses.replace(item, context=part.with_text(alphabet.normalize(part.spoken)))


def student_lm(checkpoint: Path):
    """The student LM of a training checkpoint (``RUN/STAGE/checkpoints/NAME``), built from its
    run's recipe and loaded as the evaluate stage loads it."""
    from salad.recipe import validate_recipe
    from salad.speech.model import SpeechLM
    from salad.training.checkpoint import load_weights

    validated = validate_recipe(checkpoint.resolve().parents[2] / "recipe.yaml")
    lm = validated.build("student")
    load_weights(checkpoint, SpeechLM(validated.build("adapter"), lm))
    return lm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--benchmarks", nargs="+", default=["lambada", "piqa", "hellaswag"])
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--alphabet", default=CTCAdapterConfig().alphabet,
                    help="the head's characters (default: the adapter's)")
    ap.add_argument("--student", type=Path, default=None,
                    help="a training checkpoint folder (RUN/stage1/checkpoints/final) whose "
                         "student replaces the teacher")
    args = ap.parse_args()
    data_dir = os.environ.get("SALAD_BENCHMARKS_DIR", "../shared/data/benchmarks")
    alphabet = Alphabet(args.alphabet)
    if args.student:
        lm, model_id = student_lm(args.student), f"student|{args.student.resolve()}"
    else:
        lm, model_id = load_lm("float32")
    scorer = LoglikScorer(lm, batch_size=args.batch_size)
    reg = get_host().registry("benchmark")
    print("| benchmark | items | written | head form | kept |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.benchmarks:
        items = [i for i in reg.build(f"salad.{name}.v1", {"data_dir": data_dir,
                                                            "limit": args.limit, "seed": 0})
                 .iter_items() if i.contexts is None]
        written = evaluate(scorer, items, model_id=model_id).summary()["acc_norm"]
        spelled = evaluate(scorer, [head_form(i, alphabet) for i in items],
                           model_id=model_id).summary()["acc_norm"]
        kept = f"{spelled / written:.2f}" if written else "-"
        print(f"| {name} | {len(items)} | {written:.3f} | {spelled:.3f} | {kept} |", flush=True)


if __name__ == "__main__":
    main()
