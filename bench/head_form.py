"""What the CTC head's written form costs a perfect reader: the teacher's accuracy on benchmark
items with the spoken part of each context as written, and in the form the head spells
(lower case, no punctuation or digits: ``salad.ctc_adapter.v1``'s default alphabet, or
``--alphabet``).

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/head_form.py \\
        [--benchmarks lambada piqa hellaswag] [--limit 100] [--student RUN/stage1/checkpoints/final]

The difference is the ceiling a head with no word errors keeps: what case and punctuation are
worth to the LM on each benchmark. With ``--student`` the LM is a trained student (its
checkpoint's LM weights), which Stage I taught to read the head's form, and a last column
scores it as speech mode does but with a perfect head: the start marker, the student's own
embeddings of the spoken text in the head's form, the end marker (what the CTC adapter feeds
it when it spells every word right). Against the evaluate stage's spoken accuracy, that column
separates what the head's spelling costs from what the span's layout costs. Nothing is cached;
the subsets are the evaluate stage's (seed 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lm import load_lm  # noqa: E402
from salad_plugins.ctc_adapter.head import Alphabet  # noqa: E402
from salad_plugins.ctc_adapter.hooks import CTCAdapterConfig  # noqa: E402

from salad.core.plugin_host import get_host  # noqa: E402
from salad.evaluation import LoglikScorer, evaluate  # noqa: E402
from salad.evaluation.speech_mode import SpeechContexts  # noqa: E402
from salad.evaluation.spoken import split_context, spoken_parts  # noqa: E402


def head_form(item, alphabet: Alphabet):
    part = split_context(item.context)
    return dataclasses.replace(item, context=part.with_text(alphabet.normalize(part.spoken)))


def eval_items(benchmark: str, data_dir: str, limit: int) -> list:
    """The evaluate stage's subset (seed 0) of ``benchmark``, items with one shared context."""
    reg = get_host().registry("benchmark")
    return [i for i in reg.build(f"salad.{benchmark}.v1", {"data_dir": data_dir, "limit": limit,
                                                           "seed": 0}).iter_items()
            if i.contexts is None]


def student_model(checkpoint: Path):
    """The speech LM (adapter, markers, student) of a training checkpoint
    (``RUN/STAGE/checkpoints/NAME``), built from its run's recipe and loaded as the evaluate
    stage loads it."""
    from salad.recipe import validate_recipe
    from salad.speech.model import SpeechLM
    from salad.training.checkpoint import load_weights

    validated = validate_recipe(checkpoint.resolve().parents[2] / "recipe.yaml")
    model = SpeechLM(validated.build("adapter"), validated.build("student"))
    load_weights(checkpoint, model)
    return model


class PerfectHead:
    """Speech mode's ``model`` and frame lookup for a head that spells every word right: the
    "frames" of a spoken key are its text, and a span is the start marker, the student's
    embeddings of that text in the head's form, the end marker."""

    def __init__(self, model, alphabet: Alphabet, items):
        self.model, self.alphabet = model, alphabet
        self.spoken = {p.key: p.spoken for i in items for p in spoken_parts(i)}

    def __call__(self, key: str) -> str | None:
        return self.spoken.get(key)

    @torch.inference_mode()
    def marked_spans(self, texts) -> list[torch.Tensor]:
        lm = self.model.student
        ids = lm.tokenize([self.alphabet.normalize(t) for t in texts])
        return [self.model.mark(lm.embed(torch.tensor([t])).float()[0]) for t in ids]


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
    model = None
    if args.student:
        model = student_model(args.student)
        lm, model_id = model.student, f"student|{args.student.resolve()}"
    else:
        lm, model_id = load_lm("float32")
    scorer = LoglikScorer(lm, batch_size=args.batch_size)
    span = " | perfect head, as speech |" if model else " |"
    print("| benchmark | items | written | head form | kept" + span)
    print("| --- | --- | --- | --- | ---" + (" | --- |" if model else " |"))
    for name in args.benchmarks:
        items = eval_items(name, data_dir, args.limit)
        written = evaluate(scorer, items, model_id=model_id).summary()["acc_norm"]
        spelled = evaluate(scorer, [head_form(i, alphabet) for i in items],
                           model_id=model_id).summary()["acc_norm"]
        kept = f"{spelled / written:.2f}" if written else "-"
        row = f"| {name} | {len(items)} | {written:.3f} | {spelled:.3f} | {kept} |"
        if model:
            perfect = PerfectHead(model, alphabet, items)
            spoken = evaluate(scorer, items, model_id=model_id,
                              contexts=SpeechContexts(model=perfect, frames=perfect,
                                                      source="perfect-head"))
            row += f" {spoken.summary()['acc_norm']:.3f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
