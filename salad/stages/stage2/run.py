"""Run function of the ``stage2`` stage (docs/stage2.md).

Every step leaves files in ``RUN/stage2/`` and is skipped or resumed on a rerun: the pool's
embeddings are cached by text, the speech jobs resume by id, the probe's scores are kept under a
key of the weights and items they measured, and the training resumes from its checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...core.errors import SaladError
from ...core.launch import World, env_world
from ...data.feature_cache import file_hash
from ...data.files import atomic_write_json
from ...data.manifests import read_speech_manifest, write_text_manifest
from ...data.shards import merge_when_done
from ...data.text import HALF_SUFFIX, first_halves, halvable, split_half
from ...evaluation.run_models import slot_id
from ...runner import RunContext
from ...selection.clusters import add_columns, format_cluster_table, write_cluster_table
from ...selection.embed_shards import embed_shard, merge_shards, read_vectors
from ...selection.pool import cluster_vectors, read_pool
from ...selection.proxy import proxy_misalignment, sample_per_cluster
from ...selection.quality import cluster_error_rates
from ...selection.select import Selection, estimated_seconds, select_texts
from ...speech.model import SpeechLM
from ...synthesis import SynthesisConfig, VoiceSpec, run_synthesis
from ...training.checkpoint import latest_checkpoint, load_weights
from ...training.config import HalvesRef
from ...training.data import ExampleBuilder, mix_windows, read_utterances, windows
from ...training.device import resolve_device
from ...training.distributed import gathered, init
from ...training.probe import probe_clusters
from ...training.reading import halves_windows, load_halves
from ...training.stage1 import Stage1Trainer, heldout_row
from ..stage1.run import encoder_features, reading_cache
from .report import plot_clusters, reading_table


def _texts(ctx: RunContext, name: str) -> Path:
    """The text manifest ``stage2/texts/<name>.jsonl`` that :func:`_speak` speaks."""
    return ctx.stage_dir() / "texts" / f"{name}.jsonl"


def _speak(ctx: RunContext, cfg, name: str, world: World, transcribe: str | None = None) -> Path:
    """Speak ``stage2/texts/<name>.jsonl`` (written by rank 0 before) in the Stage II voice
    into ``stage2/speech/<name>.jsonl``: every rank of ``world`` synthesizes its share and rank 0
    merges the shards; a failed job is an error on every rank."""
    out = ctx.stage_dir()
    tts = ctx.validated.component("tts")
    voice = VoiceSpec(engine=tts.record.name, voice=cfg.voice,
                      config=tts.config.model_dump(mode="json"))
    job = SynthesisConfig(input=str(_texts(ctx, name)),
                          output=str(out / "speech" / f"{name}.jsonl"),
                          cache_dir=cfg.audio_cache, voices=[voice], seed=cfg.seed,
                          workers=cfg.workers, plugins=ctx.recipe.plugins,
                          transcribe=transcribe)
    result = run_synthesis(job, f"stage2 {name} speech", world)
    if world.main:  # the job's totals (the other ranks hold their own counts)
        ctx.note(f"- {name} speech ({cfg.voice}): {result.written + result.skipped_done} "
                 f"utterances, {result.failed + result.skipped_failed} failed"
                 + (f" (`{Path(job.failures_path).relative_to(ctx.run_dir)}`)"
                    if result.failed + result.skipped_failed else ""))
    problem = world.from_main(result.problem() if world.main else None)
    if problem:
        raise SaladError(f"stage2 {name} speech: {problem}")
    return Path(job.output)


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _saved(path: Path, key: str):
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return saved["value"]
    return None


def _cached(path: Path, key: str, compute, world: World):
    """``compute()``, kept in ``path`` under ``key`` (recomputed when the key differs). Every
    rank of ``world`` gets rank 0's saved value or computes its part of a new one (the ranks
    share the work); rank 0 saves it."""
    value = world.from_main(_saved(path, key) if world.main else None)
    if value is None:
        value = compute()
        if world.main:
            atomic_write_json(path, {"key": key, "value": value})
    return value


def run(ctx: RunContext, cfg) -> None:
    """The stage on every rank of a ``torchrun`` launch (or on one process): every rank embeds
    its blocks of the pool, rank 0 clusters, every rank synthesizes its share of each speech
    job, the ranks share the probe's batches, rank 0 selects; the encoder features are cached
    by rank 0 first and then read by the others; the ranks share the reference metrics, every
    rank trains and probes after training; rank 0 writes the report."""
    v = ctx.validated
    out = ctx.stage_dir()
    device = resolve_device(ctx.recipe.device, env_world().local_rank)
    world = init(cfg.strategy, device)
    torch.manual_seed(cfg.seed)
    stage1 = ctx.run_dir / "stage1" / "checkpoints"
    start = stage1 / cfg.resume_from
    if not (start / "model.safetensors").is_file():
        raise SaladError(f"stage2 continues from {start}, which does not exist: run stage1 "
                         "first (its pre-decay checkpoint is written where the decay starts)")
    records, skipped = read_pool(cfg.pool, cfg.pool_limit)
    train_path = Path(cfg.train_manifest)
    natural_utts = read_utterances(train_path)[0]

    # -- models --------------------------------------------------------------------------------
    encoder = v.build("encoder")
    teacher, student, adapter = v.build("teacher"), v.build("student"), v.build("adapter")
    model = SpeechLM(adapter, student)
    scorer = v.build("scorer")
    weights = {name: file_hash(stage1 / name / "model.safetensors")
               for name in (cfg.resume_from, "final") if (stage1 / name).is_dir()}
    identity = [v.resolved()["components"], weights]
    load_weights(start, model)
    model.to(device)
    if device.type != "cpu":  # the probe and the reference metrics run before the trainer does
        teacher.to(device)

    # -- the pool's vectors (every rank), its clusters (rank 0), the probe's speech (every rank)
    # (each broadcast from rank 0 also orders the text manifests it wrote before the speech jobs
    # of the other ranks read them)
    embedder = v.build("embedder")
    _embed_pool(ctx, cfg, embedder, world)
    pool = world.from_main(_cluster(ctx, cfg, records, skipped, natural_utts, embedder)
                           if world.main else None)
    k = len(pool.rows)
    probe_speech = (_speak(ctx, cfg, "probe", world, transcribe=cfg.asr_model)
                    if _speaks_probe(cfg) else None)
    probe_features = (world.main_first(lambda: encoder_features(
        ctx, encoder, [probe_speech], cfg.feature_cache))
        if cfg.scorer_kind == "probe" else None)
    cluster_of = {records[i].id: int(pool.labels[i]) for i in range(len(records))}

    def score(teacher=teacher, together=False):  # the ranks share the probe's batches
        if cfg.scorer_kind == "proxy":
            return {"rows": proxy_misalignment(
                teacher, student, scorer, [records[i].text for i in pool.probe],
                pool.labels[pool.probe], k, per_cluster=cfg.probe_per_cluster,
                seed=cfg.probe_seed), "overall": None}
        halves = load_halves("probe", probe_speech, cfg.pool, probe_features.lengths())
        rows, overall = probe_clusters(
            model, teacher, scorer, halves, probe_features,
            [cluster_of[it.text_id.removesuffix(HALF_SUFFIX)] for it in halves.items], k,
            seed=cfg.probe_seed, world=world, together=together)
        return {"rows": rows, "overall": overall}

    # -- misalignment per cluster, selection (rank 0) and its speech (every rank) -------------
    before = _cached(out / "misalignment_before.json",
                     _key(identity, cfg.scorer_kind, [records[i].id for i in pool.probe],
                          "before"), score, world)
    chosen = world.from_main(_select(ctx, cfg, records, pool, probe_speech, before)
                             if world.main else None)
    speech = _speak(ctx, cfg, "selected", world)
    voice_sets = [(h, _speak(ctx, cfg, h.name, world)) for h in cfg.voice_heldout]

    # -- continued training ---------------------------------------------------------------------
    heldout_refs = [*cfg.heldout, *[HalvesRef(name=h.name, speech=str(path), texts=h.texts,
                                              limit=h.limit) for h, path in voice_sets]]
    features = world.main_first(lambda: encoder_features(
        ctx, encoder, [train_path, speech, *(
            Path(h.speech) for h in (*cfg.train_halves, *heldout_refs))], cfg.feature_cache))
    lengths = {r: n for r, n in features.lengths().items() if n <= cfg.max_frames}
    held = [load_halves(h.name, h.speech, h.texts, lengths, h.limit) for h in heldout_refs]
    natural = windows([u for u in natural_utts if u.id in lengths],
                      cfg.utterances_per_example)
    natural += [w for h in cfg.train_halves for w in halves_windows(
        load_halves(h.name, h.speech, h.texts, lengths, h.limit), cfg.mismatched_halves)]
    synthetic = halves_windows(load_halves("synthetic", speech, cfg.pool, lengths))
    train_windows = mix_windows(natural, synthetic, cfg.synthetic_share, cfg.seed)
    ctx.note(f"- device {device}, {world.size} rank(s), strategy {cfg.strategy}; training "
             f"windows: {len(train_windows)} ({len(synthetic)} selected synthetic halves, "
             f"share {cfg.synthetic_share}); held-out: "
             + ", ".join(f"{h.name} {len(h.items)}" for h in held))

    reference = {}  # Stage I's weights on the same held-out sets (those Stage I measured
    for name, digest in weights.items():  # are read from the reading cache)
        load_weights(stage1 / name, model)
        reference[name] = heldout_row(reading_cache(ctx, cfg).measure(
            digest, model, teacher, scorer, held, features, world))
    trainer = Stage1Trainer(cfg, model, teacher, v.build("loss"), scorer, train_windows, held,
                            ExampleBuilder(student), features, out, log=ctx.log_metrics,
                            teacher_key=slot_id(v, "teacher"), device=device, world=world)
    trainer.pre_decay_checkpoint = False  # Stage II decays from its start: nothing to keep
    if latest_checkpoint(out / "checkpoints") is None:
        trainer.start_from(start)  # Stage I's state at the decay start
    result = trainer.run(initial=reference[cfg.resume_from])
    with gathered(trainer.net, cfg.strategy):  # every rank takes part under FSDP
        after = (score(trainer.teacher, trainer.together) if cfg.probe_after
                 else {"rows": [], "overall": None})
    if world.main:
        _report(ctx, cfg, pool, before, after, chosen, reference, result["history"][-1], held)


@dataclass
class _Pool:
    """The pool's clusters and the probe, from rank 0."""

    rows: list[dict]
    labels: np.ndarray
    narrow: np.ndarray  # the share of Stage I's natural texts nearest each cluster
    eligible: np.ndarray  # pool texts with a word count to halve
    probe: np.ndarray


@dataclass
class _Chosen:
    """The selection, from rank 0."""

    selection: Selection
    error_rates: dict[int, float]


def _speaks_probe(cfg) -> bool:
    """Whether the probe texts are spoken: for the probe's scoring or the quality filter."""
    return cfg.scorer_kind == "probe" or bool(cfg.asr_model)


def _clusters(ctx: RunContext) -> Path:
    """``stage2/clusters/``: the pool's vectors and clusters."""
    return ctx.stage_dir() / "clusters"


def _embed_pool(ctx: RunContext, cfg, embedder, world: World) -> None:
    """Embed the pool's texts into :func:`_clusters` (:mod:`~salad.selection.embed_shards`):
    every rank of ``world`` its blocks of ``embed_block_size`` distinct texts, the same blocks
    for any number of ranks; rank 0 merges them once every rank is done (in the launch's
    process group)."""
    embed_shard(cfg.pool, embedder, slot_id(ctx.validated, "embedder"), _clusters(ctx), world,
                cfg.embed_block_size, cfg.pool_limit)
    merge_when_done(world, lambda: merge_shards(_clusters(ctx), world.size))


def _cluster(ctx: RunContext, cfg, records, skipped, natural_utts, embedder) -> _Pool:
    """Cluster the pool by the vectors :func:`_embed_pool` merged and draw the probe texts
    (written to be spoken when they are)."""
    backend = ctx.validated.build("clustering")
    clusters = cluster_vectors(records, read_vectors(_clusters(ctx)), backend, _clusters(ctx),
                               skipped=skipped)
    labels = np.asarray(clusters.result.labels, dtype=np.int64)
    narrow = np.bincount(backend.predict(embedder.embed([u.text for u in natural_utts])),
                         minlength=len(clusters.rows)) / max(len(natural_utts), 1)
    ctx.note(f"- pool `{cfg.pool}`: {clusters.summary()}")
    eligible = np.array([i for i, r in enumerate(records) if halvable(r.text, cfg.halves_words)],
                        dtype=np.int64)
    if not len(eligible):
        raise SaladError(f"no pool text has {cfg.halves_words} words to halve")
    probe = eligible[sample_per_cluster(labels[eligible], cfg.probe_per_cluster,
                                        cfg.probe_seed)]
    if _speaks_probe(cfg):
        write_text_manifest(_texts(ctx, "probe"), first_halves([records[i] for i in probe], None,
                                                               cfg.halves_words))
    return _Pool(clusters.rows, labels, narrow, eligible, probe)


def _select(ctx: RunContext, cfg, records, pool: _Pool, probe_speech: Path | None,
            before) -> _Chosen:
    """Select texts by the misalignment ``before`` (and the error rates of ``probe_speech``);
    write them and the ``voice_heldout`` sets to be spoken."""
    out = ctx.stage_dir()
    error_rates = {}
    if cfg.asr_model:
        cluster_of = {records[i].id: int(pool.labels[i]) for i in range(len(records))}
        speech = read_speech_manifest(probe_speech).records
        error_rates = cluster_error_rates(
            [cluster_of[r.text_id.removesuffix(HALF_SUFFIX)] for r in speech],
            [r.text for r in speech], [r.transcript or "" for r in speech])
    m = np.array([r["mean"] for r in before["rows"]], dtype=np.float64)
    candidates = np.setdiff1d(pool.eligible, pool.probe)
    m_fill = np.where(np.isfinite(m), m, np.nanmean(m) if np.isfinite(m).any() else 1.0)
    texts = [records[i].text for i in candidates]
    seconds = estimated_seconds([split_half(t)[0] for t in texts], cfg.selection.chars_per_second)
    selection = select_texts(pool.labels[candidates], seconds, np.maximum(m_fill, 0.0),
                             cfg.selection, error_rates)
    chosen = [records[i] for i in candidates[selection.indices]]
    summary = selection.summary()
    atomic_write_json(out / "selection.json", {**summary, "mode": cfg.selection.mode,
                                               "gamma": cfg.selection.effective_gamma,
                                               "ids": [r.id for r in chosen]})
    ctx.note(f"- selection ({cfg.selection.mode}, gamma {cfg.selection.effective_gamma:g}): "
             f"{summary['texts']} texts, {summary['hours']:.3f} h estimated; "
             f"{len(selection.dropped)} clusters dropped by the quality filter")
    write_text_manifest(_texts(ctx, "selected"), first_halves(chosen, None, cfg.halves_words))
    for h in cfg.voice_heldout:
        write_text_manifest(_texts(ctx, h.name), read_pool(h.halves)[0])
    return _Chosen(selection, error_rates)


def _report(ctx, cfg, pool: _Pool, before, after, chosen: _Chosen, reference, final, held):
    out = ctx.stage_dir()
    summary = chosen.selection.summary()
    share = {c["cluster"]: c["budget_share"] for c in summary["clusters"]}
    table = add_columns(
        pool.rows, M_before={r["cluster"]: r["mean"] for r in before["rows"]},
        ci95={r["cluster"]: r["ci95"] for r in before["rows"]},
        M_mismatched={r["cluster"]: r.get("m_mismatched") for r in before["rows"]},
        M_after={r["cluster"]: r["mean"] for r in after["rows"]},
        cer=chosen.error_rates, budget_share=share,
        natural_share={c: float(x) for c, x in enumerate(pool.narrow)})
    write_cluster_table(out / "clusters.json", table)
    order = sorted(table, key=lambda r: -(r["budget_share"] or 0.0))
    columns = ["M_before", "ci95", "M_mismatched", "M_after", "cer", "budget_share",
               "natural_share"]
    ctx.note("\nClusters by share of the synthesis budget (M: the "
             f"{cfg.scorer_kind} misalignment, nats/token; natural_share: the share of Stage "
             "I's natural speech texts nearest the cluster's centroid):\n")
    ctx.note(format_cluster_table(order, columns))
    plot_clusters(table, out / "clusters.png")
    ctx.note("![clusters](stage2/clusters.png)\n")
    ctx.note(reading_table([h.name for h in held], {
        "Stage I final": reference.get("final"),
        f"Stage I {cfg.resume_from} (Stage II start)": reference.get(cfg.resume_from),
        "Stage II final": final}))
    atomic_write_json(out / "summary.json", {
        "reference": reference, "final": final, "selection": summary,
        "probe_overall": {"before": before["overall"], "after": after["overall"]}})

