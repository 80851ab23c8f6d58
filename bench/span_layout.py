"""What the speech span's layout costs a trained student: the evaluate stage's items spoken in
a voice, read through its CTC adapter in speech mode (start marker, the adapter's words as the
student's embeddings, end marker) and the same words given to it as plain text.

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/span_layout.py \\
        RUN/stage1/checkpoints/final [--benchmarks piqa hellaswag lambada] [--limit 100] \\
        [--voice piper:joe]

Run it from the run's project folder: audio and features come from the evaluate stage's caches
(``.cache/eval/spoken``, ``.cache/salad/tts``, ``.cache/features``), synthesized and encoded
where missing. The speech-mode column repeats the evaluate stage's student speech score; the
text column is a cascade whose ASR is the student's own head. With ``bench/head_form.py
--student`` (a perfect head, both layouts) it separates the head's spelling from the layout.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from head_form import eval_items, student_model  # noqa: E402

from salad.evaluation import LoglikScorer, evaluate  # noqa: E402
from salad.evaluation.speech_mode import SpeechContexts  # noqa: E402
from salad.evaluation.spoken import speech_problem, split_context, spoken_parts  # noqa: E402
from salad.evaluation.spoken_audio import (  # noqa: E402
    encoder_frames,
    synthesize_texts,
    voice_from_label,
)
from salad.recipe import validate_recipe  # noqa: E402


def spoken_eval_items(benchmark: str, data_dir: str, limit: int, voice: str):
    """The evaluate stage's items of ``benchmark`` that can be asked in speech, spoken in
    ``voice`` through its caches; returns the items whose audio exists and the spoken set."""
    items = [i for i in eval_items(benchmark, data_dir, limit) if speech_problem(i) is None]
    spoken = synthesize_texts([p for i in items for p in spoken_parts(i)],
                              voice_from_label(voice), Path(".cache/eval/spoken"),
                              ".cache/salad/tts", progress=False)
    return [i for i in items if all(p.key in spoken.audio for p in spoken_parts(i))], spoken


def transcripts(adapter, frames, keys, batch_size: int = 16) -> dict[str, str]:
    out = {}
    for start in range(0, len(keys), batch_size):
        chunk = keys[start:start + batch_size]
        feats = [frames(k).float() for k in chunk]
        lengths = torch.tensor([f.shape[0] for f in feats])
        padded = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
        out.update(zip(chunk, adapter.transcribe(padded, lengths), strict=True))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", type=Path, help="RUN/STAGE/checkpoints/NAME")
    ap.add_argument("--benchmarks", nargs="+", default=["piqa", "hellaswag", "lambada"])
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--voice", default="piper:joe")
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    data_dir = os.environ.get("SALAD_BENCHMARKS_DIR", "../shared/data/benchmarks")
    validated = validate_recipe(args.checkpoint.resolve().parents[2] / "recipe.yaml")
    model = student_model(args.checkpoint).eval()
    scorer = LoglikScorer(model.student, batch_size=args.batch_size)
    model_id = f"student|{args.checkpoint.resolve()}"
    encoder = validated.build("encoder")
    print(f"| benchmark | items | speech mode ({args.voice}) | the head's words as text |")
    print("| --- | --- | --- | --- |")
    for name in args.benchmarks:
        items, spoken = spoken_eval_items(name, data_dir, args.limit, args.voice)
        frames = encoder_frames(spoken, encoder, ".cache/features", progress=False)
        items = [i for i in items if all(frames(p.key) is not None for p in spoken_parts(i))]
        words = transcripts(model.adapter, frames, sorted({p.key for i in items
                                                           for p in spoken_parts(i)}))
        as_text = [dataclasses.replace(i, context=split_context(i.context).with_text(
            words[spoken_parts(i)[0].key])) for i in items]
        speech = evaluate(scorer, items, model_id=model_id,
                          contexts=SpeechContexts(model, frames, args.voice))
        text = evaluate(scorer, as_text, model_id=model_id)
        print(f"| {name} | {len(items)} | {speech.summary()['acc_norm']:.3f} | "
              f"{text.summary()['acc_norm']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
