"""Stage I training step: optimized path vs a naive path, measured in one run.

    python bench/stage1_step.py [--recipe recipes/mini/mini.yaml] [--batch 8] [--steps 3] \
        [--adapter RUN/align/adapter.safetensors]

Optimized (what the trainer does): encoder frames read from the feature cache, teacher targets
read from the top-k cache, vocabulary logits only at the positions whose next token is text,
and, with the CTC adapter, decoded words reused from the adapter's memo (its frozen head runs
without dropout, so an utterance spells the same way every time). The optimized path runs
twice: first with the memo empty (the first epoch: every utterance is decoded once), then again
on the same batches with the memo filled (a later epoch, or held-out metrics evaluated again).
Naive: audio decoded and encoded every step, the teacher recomputed every step, vocabulary
logits for every position of both sequences, and the adapter's memo emptied before each step,
so the CTC head decodes every utterance every step. All paths train the same model on the same
batches; the script prints tokens/s of each, the ratios, and the peak memory of the process.
``--adapter``: start from an aligned adapter (the align stage's output), whose head spells
words the beam search must work through; without it the head is random. Needs the miniature
data (`salad data prepare-mini`).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from salad.data.audio import read_audio
from salad.data.feature_cache import FeatureCache, ManifestFeatures, pad_waves, precompute_manifest
from salad.recipe import validate_recipe
from salad.speech.model import SpeechLM
from salad.speech.teacher import kl_topk
from salad.training.checkpoint import load_adapter
from salad.training.data import (
    ExampleBuilder,
    assign_modalities,
    modality_rng,
    read_utterances,
    speech_batch,
    windows,
)
from salad.training.schedule import build_optimizer
from salad.training.teacher_cache import TeacherCache


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/mini/mini.yaml")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--adapter", type=Path, default=None)
    args = ap.parse_args()
    v = validate_recipe(args.recipe)
    stage_cfg = next(cfg for spec, cfg in v.stage_configs if spec.name == "stage1")
    manifest = Path(stage_cfg.train_manifest)
    rows = [json.loads(line) for line in manifest.open()][: args.batch * args.steps * 3]
    tmp = Path(tempfile.mkdtemp())
    sub = tmp / "manifest.jsonl"
    sub.write_text("".join(json.dumps(r) + "\n" for r in rows))
    audio_of = {r["id"]: r["audio"] for r in rows}

    encoder = v.build("encoder")
    report = precompute_manifest(sub, encoder, stage_cfg.feature_cache, progress=False)
    features = ManifestFeatures(FeatureCache(stage_cfg.feature_cache, encoder.cache_key()),
                                report.index)
    teacher, student, adapter = v.build("teacher"), v.build("student"), v.build("adapter")
    if args.adapter:
        load_adapter(args.adapter, adapter)
    torch.manual_seed(0)
    model = SpeechLM(adapter, student)
    optimizer = build_optimizer(model, stage_cfg)
    builder = ExampleBuilder(student)
    wins = windows(read_utterances(sub)[0], stage_cfg.utterances_per_example)
    cache = TeacherCache.build(teacher, builder, wins, stage_cfg.teacher_topk,
                               tmp / "topk.safetensors", "bench")

    def examples_for(step):
        ids = [(step * args.batch + i) % len(wins) for i in range(args.batch)]
        return ids, [(wins[i], assign_modalities(len(wins[i]), modality_rng(0, 0, i),
                                                 stage_cfg.speech_prob, 0.0)) for i in ids]

    def optimized(step):
        ids, examples = examples_for(step)
        batch, spans = speech_batch(model, builder, features, examples)
        logits = model.student_logits(batch, spans)
        loss = kl_topk(logits.float(), cache.lookup(ids, batch))
        return loss, batch

    forget = getattr(adapter, "clear_spelling_cache", lambda: None)

    def naive(step):
        forget()  # the CTC adapter decodes every utterance again
        ids, examples = examples_for(step)

        def encode(utt_ids):  # audio decoded and encoded every step
            waves = [read_audio(audio_of[i], encoder.sample_rate)[0] for i in utt_ids]
            frames, lengths = encoder.encode(*pad_waves(waves))
            return [frames[k, : int(n)] for k, n in enumerate(lengths)]

        batch, spans = speech_batch(model, builder, encode, examples)
        emb = model.student_inputs(batch, spans)
        hidden = student.hidden_states(emb, batch.student_mask)
        all_logits = student.logits(hidden.reshape(-1, hidden.shape[-1]))  # every position
        with torch.no_grad():
            t_hidden = teacher.hidden_states(teacher.embed(batch.teacher_ids),
                                             batch.teacher_mask)
            t_all = teacher.logits(t_hidden.reshape(-1, t_hidden.shape[-1]))
        s = F.log_softmax(all_logits[batch.student_pos].float(), -1)
        t = F.log_softmax(t_all[batch.teacher_pos].float(), -1)
        loss = F.kl_div(s, t, log_target=True, reduction="none").sum(-1).mean()
        return loss, batch

    results = {}
    paths = (("optimized, memo empty", optimized), ("optimized", optimized), ("naive", naive))
    for name, fn in paths:
        tokens, seconds = 0, 0.0
        for step in range(args.steps + 1):
            start = time.perf_counter()
            loss, batch = fn(step)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            took = time.perf_counter() - start
            if step > 0:  # the first step warms up allocators and caches
                tokens += int(batch.student_mask.sum())
                seconds += took
        results[name] = tokens / seconds
        print(f"{name:>21}: {results[name]:7.1f} student positions/s "
              f"({args.steps} steps of batch {args.batch})")
    print(f"ratio optimized / naive: {results['optimized'] / results['naive']:.2f}x "
          f"(memo empty: {results['optimized, memo empty'] / results['naive']:.2f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory (max RSS): {peak:.2f} GiB")


if __name__ == "__main__":
    main()
