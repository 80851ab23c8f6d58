"""What cutting long audio into encoder windows costs: the evaluate stage's items spoken in a
voice, encoded with consecutive context windows and with overlapping ones
(``overlap_seconds`` of the Whisper encoder), read by a trained student's CTC adapter.

    SALAD_BENCHMARKS_DIR=../shared/data/benchmarks python bench/long_audio.py \\
        RUN/stage1/checkpoints/final [--benchmarks lambada hellaswag piqa] [--limit 100] \\
        [--overlaps 0 1 2] [--voice piper:joe]

Run it from the run's project folder: audio comes from the evaluate stage's caches and the
frames of each overlap go to the feature cache under that encoder's key. Per benchmark and
overlap it prints the spoken contexts' mean length, the encoder windows per context (the
encoding cost), the head's word error rate on them (what the LM reads) and the student's
speech-mode accuracy (acc_norm).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from head_form import student_model  # noqa: E402
from span_layout import spoken_eval_items, transcripts  # noqa: E402

from salad.asr.wer import corpus_wer  # noqa: E402
from salad.evaluation import LoglikScorer, evaluate  # noqa: E402
from salad.evaluation.speech_mode import SpeechContexts  # noqa: E402
from salad.evaluation.spoken import spoken_parts  # noqa: E402
from salad.evaluation.spoken_audio import encoder_frames  # noqa: E402
from salad.recipe import validate_recipe  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", type=Path, help="RUN/STAGE/checkpoints/NAME")
    ap.add_argument("--benchmarks", nargs="+", default=["lambada", "hellaswag", "piqa"])
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--overlaps", nargs="+", type=float, default=[0.0, 1.0, 2.0])
    ap.add_argument("--voice", default="piper:joe")
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    data_dir = os.environ.get("SALAD_BENCHMARKS_DIR", "../shared/data/benchmarks")
    validated = validate_recipe(args.checkpoint.resolve().parents[2] / "recipe.yaml")
    encoder_cfg = validated.component("encoder")
    model = student_model(args.checkpoint).eval()
    scorer = LoglikScorer(model.student, batch_size=args.batch_size)
    model_id = f"student|{args.checkpoint.resolve()}"
    encoders = {o: encoder_cfg.record.build({**encoder_cfg.config.model_dump(),
                                             "overlap_seconds": o}) for o in args.overlaps}
    print(f"| benchmark | items | seconds spoken | overlap (s) | windows | head WER | "
          f"speech mode ({args.voice}) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.benchmarks:
        items, spoken = spoken_eval_items(name, data_dir, args.limit, args.voice)
        keys = sorted({p.key for i in items for p in spoken_parts(i)})
        for overlap, encoder in encoders.items():
            frames = encoder_frames(spoken, encoder, ".cache/features", progress=False)
            samples = [round(frames(k).shape[0] * encoder.sample_rate / encoder.frame_rate)
                       for k in keys]
            length = sum(samples) / len(keys) / encoder.sample_rate
            windows = len(encoder.windows(samples)) / len(keys)
            words = transcripts(model.adapter, frames, keys)
            wer = corpus_wer([(spoken.texts[k], words[k]) for k in keys])
            acc = evaluate(scorer, items, model_id=model_id,
                           contexts=SpeechContexts(model, frames, args.voice))
            print(f"| {name} | {len(items)} | {length:.1f} | {overlap:g} | {windows:.2f} | "
                  f"{wer:.3f} | {acc.summary()['acc_norm']:.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
