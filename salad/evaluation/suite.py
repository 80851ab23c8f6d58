"""One evaluation of a speech LLM: the same benchmark items as text (teacher and student), as
speech in each voice (student), and through ASR (cascade: teacher on the transcript), with the
text-speech gap per benchmark and its paired bootstrap interval.

Writes ``results.json`` (schema ``salad.eval.v1``, read by :mod:`salad.reporting`) and
``items.jsonl`` (one row per item and mode) into the output directory.

Under ``torchrun`` the evaluation is a sharded job (:mod:`salad.data.shards`): rank ``r`` of
``n`` scores the items ``r, r + n, ...`` of every benchmark (it also synthesises, encodes and
transcribes only their spoken parts) and writes ``eval.shard-r-of-n.json``; rank 0 merges the
shards (:mod:`salad.evaluation.merge`) in item order. One process runs the same merge on its one
shard, so the results are those of one process whatever the number of ranks.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from salad.asr import corpus_wer
from salad.core.errors import SaladError
from salad.core.items import BenchmarkItem
from salad.core.launch import World
from salad.data.files import atomic_write_json, atomic_write_text
from salad.data.progress import progress_bar
from salad.data.shards import merge_when_done, process_group, read_shards, shard_path, share

from .cache import ScoreCache
from .config import EvalConfig
from .loglik import LoglikScorer
from .merge import SCHEMA, merge_shards
from .prompts import PromptFormat
from .scoring import TextContexts, evaluate
from .spoken import speech_problem, spoken_parts

SHARD = "eval"  # eval.shard-r-of-n.json in the output directory


@dataclass
class EvalModels:
    """What the modes need; ``speech_lm`` and ``encoder`` may be None for text-only modes."""

    teacher: object
    teacher_id: str
    speech_lm: object | None = None   # salad.speech.model.SpeechLM
    student_id: str = ""
    encoder: object | None = None


def benchmark_items(name: str, cfg: EvalConfig) -> tuple[list[BenchmarkItem], list[BenchmarkItem]]:
    """``(items, shot pool)`` of a benchmark: the seeded subset and all its items. ``name`` is
    a short name (``piqa``), a benchmark registry name, or a local ``.jsonl`` file (read by
    ``salad.jsonl_benchmark.v1`` in its default multiple-choice format)."""
    from salad.core.plugin_host import get_host

    config = dict(cfg.benchmark_config)
    if name.endswith(".jsonl"):
        record = "salad.jsonl_benchmark.v1"
        config.update(path=name, name=Path(name).stem)
    else:
        record = name if "." in name else f"salad.{name}.v1"
    reg = get_host().registry("benchmark")
    pool = list(reg.build(record, config).iter_items())
    items = list(reg.build(record, {**config, "limit": cfg.limit, "seed": cfg.seed}).iter_items())
    return items, pool


def _progress(cfg: EvalConfig, desc: str) -> Callable[[int, int], None] | None:
    if not cfg.progress:
        return None
    bars = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(progress_bar(total=total, desc=desc, unit="item", leave=False))
        bars[0].update(done - bars[0].n)
        if done >= total:
            bars[0].close()

    return update


def _heard(items: list[BenchmarkItem], spoken, transcripts: dict[str, str] | None = None
           ) -> dict[str, dict]:
    """Per item id: the text and audio of its spoken parts and, for the cascade, their
    transcripts."""
    out = {}
    for item in items:
        keys = list(dict.fromkeys(p.key for p in spoken_parts(item)))  # a shared context once
        out[item.id] = {"spoken": [spoken.texts[k] for k in keys],
                        "audio": [spoken.audio[k] for k in keys]}
        if transcripts is not None:
            out[item.id]["transcript"] = [transcripts[k] for k in keys]
    return out


class Evaluation:
    def __init__(self, models: EvalModels, cfg: EvalConfig, out_dir: Path, log=print,
                 world: World | None = None):
        self.models = models
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.log = log
        self.world = world or World()
        cache_dir = Path(cfg.eval_cache)
        self.scores = ScoreCache(cache_dir / "scores.jsonl")
        self.transcripts = ScoreCache(cache_dir / "transcripts.jsonl")
        self.teacher_scorer = LoglikScorer(models.teacher, batch_size=cfg.batch_size)
        self.student_scorer = (LoglikScorer(models.speech_lm.student, batch_size=cfg.batch_size)
                               if models.speech_lm is not None else None)

    # ---- modes ----
    def _score(self, mode: str, bench: str, scorer, items, pool, model_id, contexts=None,
               skipped: dict[str, str] | None = None,
               heard: dict[str, dict] | None = None) -> dict:
        """Score ``items`` in ``mode``: ``{"rows", "skipped"}``. Each item's row in
        ``items.jsonl`` gets the chosen option (by the run's metric), every option's
        log-likelihood and ``heard[item id]`` (the audio and transcript of a spoken mode)."""
        cfg = self.cfg
        res = evaluate(scorer, items, model_id=model_id, shots=cfg.shots, seed=cfg.seed,
                       pool=pool, contexts=contexts, cache=self.scores,
                       progress=_progress(cfg, f"{bench} {mode}"))
        res.skipped.update(skipped or {})
        rows = [{"benchmark": bench, "mode": mode, "item": s.item_id, "correct": s.correct,
                 "correct_norm": s.correct_norm, "gold": s.gold,
                 "chosen": s.pred_norm if cfg.metric == "acc_norm" else s.pred,
                 "loglik": list(s.loglik), **(heard or {}).get(s.item_id, {})}
                for s in res.scores]
        return {"rows": rows, "skipped": res.skipped}

    def _spoken(self, all_items: list[BenchmarkItem]):
        """Per voice: the audio, the frame lookup and (when asked) the transcripts."""
        from .spoken_audio import (
            encoder_frames,
            recorded_texts,
            synthesize_texts,
            transcribe,
            voice_from_label,
        )

        cfg = self.cfg
        parts = [p for i in all_items if speech_problem(i) is None for p in spoken_parts(i)]
        work = Path(cfg.eval_cache) / "spoken"
        if self.world.size > 1:  # a rank's own synthesis manifests (the audio cache is shared)
            work = work / f"rank-{self.world.rank:05d}-of-{self.world.size:05d}"
        sources = [(label, lambda v=label: synthesize_texts(
            parts, voice_from_label(v), work, cfg.tts_cache, progress=cfg.progress,
            max_seconds=cfg.max_audio_seconds, workers=cfg.tts_workers)) for label in cfg.voices]
        sources += [(f"rec:{name}", lambda n=name, m=path: recorded_texts(parts, m, n))
                    for name, path in cfg.recordings.items()]
        out = {}
        transcriber = None
        for n, (label, load) in enumerate(sources):
            self.log(f"spoken items, voice {label}")
            spoken = load()
            if spoken.failed:
                self.log(f"  {len(spoken.failed)} of {len(spoken.texts)} texts have no audio in "
                         f"voice {label}; reasons in {spoken.failures_file}")
            frames = None
            if "student_speech" in cfg.modes and self.models.speech_lm is not None:
                frames = encoder_frames(spoken, self.models.encoder, cfg.feature_cache,
                                        progress=cfg.progress)
            texts = None
            if "cascade" in cfg.modes and (n == 0 or cfg.cascade_voices == "all"):
                if transcriber is None:
                    from salad.asr import WhisperTranscriber

                    transcriber = WhisperTranscriber(cfg.asr_model)
                texts = transcribe(spoken, transcriber, self.transcripts, progress=cfg.progress)
                spoken.wer = corpus_wer((spoken.texts[k], t) for k, t in texts.items())
            out[label] = (spoken, frames, texts)
        return out

    @staticmethod
    def _missing(items, available: set[str]) -> tuple[list[BenchmarkItem], dict[str, str]]:
        keep, skipped = [], {}
        for item in items:
            problem = speech_problem(item)
            if problem is None and any(p.key not in available for p in spoken_parts(item)):
                problem = "no audio in this voice (not recorded, or synthesis or encoding failed)"
            if problem:
                skipped[item.id] = problem
            else:
                keep.append(item)
        return keep, skipped

    @staticmethod
    def _transcribed(item: BenchmarkItem, texts: dict[str, str]) -> BenchmarkItem:
        parts = spoken_parts(item)
        if item.contexts is not None:
            return dataclasses.replace(item, contexts=tuple(p.with_text(texts[p.key])
                                                            for p in parts))
        return dataclasses.replace(item, context=parts[0].with_text(texts[parts[0].key]))

    def run(self, label: str, meta: dict) -> dict:
        """Score this rank's share, merge the shards (rank 0, once every rank is done) into
        ``results.json`` and ``items.jsonl``; every rank returns the results."""
        start, world = time.time(), self.world
        if world.size == 1:
            return self._write([self.score()], label, meta, start)
        self.write_shard()
        with process_group(world):
            merge_when_done(world, lambda: self.merge(label, meta, start))
            world.barrier()  # results.json is written
        return json.loads((self.out_dir / "results.json").read_text(encoding="utf-8"))

    def write_shard(self) -> Path:
        """Score this rank's share into its shard file (atomic)."""
        path = shard_path(self.out_dir, SHARD, self.world.rank, self.world.size)
        shard = self.score()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, shard)
        return path

    def merge(self, label: str, meta: dict, start: float | None = None) -> dict:
        """Merge the shards of every rank in the output directory into ``results.json`` and
        ``items.jsonl`` (``seconds`` counts from ``start``)."""
        shards = read_shards(self.out_dir, SHARD, self.world.size,
                             "rerun the evaluation (scores are cached)")
        return self._write(shards, label, meta, time.time() if start is None else start)

    def score(self) -> dict:
        """This rank's shard: per benchmark its item ids (all, in order), chance level and,
        per mode, the rows and skipped items of this rank's share; per voice the spoken texts,
        audio, failures and transcripts of the share's spoken parts."""
        from .speech_mode import SpeechContexts

        cfg, m = self.cfg, self.models
        loaded = {b: benchmark_items(b, cfg) for b in cfg.benchmarks}
        empty = [b for b, (items, _) in loaded.items() if not items]
        if empty:  # an empty result must not replace earlier results
            raise SaladError(f"benchmark(s) {', '.join(empty)} gave no items: nothing was "
                             f"evaluated and {self.out_dir} is left as it was")
        mine = {b: share(items, self.world) for b, (items, _) in loaded.items()}
        speech_modes = {"student_speech", "cascade"} & set(cfg.modes)
        spoken = self._spoken([i for items in mine.values() for i in items]) \
            if speech_modes else {}
        benchmarks = []
        for bench, (all_items, pool) in loaded.items():
            items, name = mine[bench], all_items[0].benchmark
            modes: dict[str, dict] = {}
            if "teacher_text" in cfg.modes:
                modes["teacher_text"] = self._score("teacher_text", name, self.teacher_scorer,
                                                    items, pool, m.teacher_id)
            if "student_text" in cfg.modes and self.student_scorer is not None:
                modes["student_text"] = self._score("student_text", name, self.student_scorer,
                                                    items, pool, m.student_id)
            for label_v, (sp, frames, texts) in spoken.items():
                keep, skipped = self._missing(items, set(sp.audio))
                if frames is not None:
                    contexts = SpeechContexts(m.speech_lm, frames,
                                              f"{label_v}|{m.encoder.cache_key()}")
                    mode = f"student_speech@{label_v}"
                    modes[mode] = self._score(mode, name, self.student_scorer, keep, pool,
                                              m.student_id, contexts, skipped, _heard(keep, sp))
                if texts is not None:
                    mode = f"cascade@{label_v}"
                    fmt = TextContexts(PromptFormat(name=f"cascade-v1|{label_v}"))
                    asr_items = [self._transcribed(i, texts) for i in keep]
                    modes[mode] = self._score(mode, name, self.teacher_scorer, asr_items, pool,
                                              m.teacher_id, fmt, skipped,
                                              _heard(keep, sp, texts))
                    modes[mode]["said"] = sorted({p.key for i in keep for p in spoken_parts(i)})
            benchmarks.append({"benchmark": name, "items": [i.id for i in all_items],
                               "chance": sum(_chance(len(i.contexts or i.choices))
                                             for i in all_items) / len(all_items),
                               "modes": modes})
        return {"rank": self.world.rank, "size": self.world.size, "benchmarks": benchmarks,
                "spoken": {v: {"texts": sp.texts, "audio": sorted(sp.audio),
                               "failed": sorted(sp.failed), "failures_file": sp.failures_file,
                               "transcripts": texts}
                           for v, (sp, _, texts) in spoken.items()}}

    def _write(self, shards: list[dict], label: str, meta: dict, start: float) -> dict:
        """Merge ``shards`` into ``results.json`` and ``items.jsonl``."""
        cfg = self.cfg
        merged = merge_shards(shards, cfg.metric, cfg.bootstrap, cfg.seed)
        for bench in merged["benchmarks"]:
            for mode, r in bench["modes"].items():
                self.log(f"  {bench['benchmark']:<14} {mode:<34} n={r['n']:<5} "
                         f"acc={r['acc']:.3f} acc_norm={r['acc_norm']:.3f}"
                         + (f" skipped={r['skipped']}" if r["skipped"] else ""))
        out = {"schema": SCHEMA, "label": label, **meta, "shots": cfg.shots, "seed": cfg.seed,
               "metric": cfg.metric, "benchmarks": merged["benchmarks"],
               "pooled_gaps": merged["pooled_gaps"],
               "voices": [*cfg.voices, *(f"rec:{r}" for r in cfg.recordings)],
               "spoken": merged["spoken"],
               "config": cfg.model_dump(mode="json"), "seconds": round(time.time() - start, 1)}
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.out_dir / "results.json", out)
        atomic_write_text(self.out_dir / "items.jsonl",
                          "".join(json.dumps(r) + "\n" for r in merged["rows"]))
        return out


def _chance(options: int) -> float:
    """Accuracy of guessing among ``options`` (an item with one option is a greedy match)."""
    return 1.0 / options if options > 1 else 0.0
