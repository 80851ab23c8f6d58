"""``salad data prepare-mini | synthesize | features | embed | corpus | cluster |
import-speech``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="build text corpora and speech data")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION")

    p = dsub.add_parser("prepare-mini", help="build the miniature's text and speech sets")
    p.add_argument("--config", help="YAML file with MiniDataConfig fields")
    p.add_argument("--data-dir", help="output folder (default data/mini)")
    p.add_argument("--narrow-train", type=int, help="narrow training utterances")
    p.add_argument("--narrow-heldout", type=int, help="held-out narrow texts/utterances")
    p.add_argument("--broad-pool", type=int, help="broad pool texts")
    p.add_argument("--broad-heldout", type=int, help="held-out broad texts")
    p.add_argument("--workers", type=int, help="synthesis worker processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_prepare_mini)

    p = dsub.add_parser("synthesize", help="text manifest -> speech manifest (resumable); "
                        "under torchrun each rank synthesizes its shard and rank 0 merges them")
    p.add_argument("config", help="YAML/JSON file with SynthesisConfig fields")
    p.add_argument("--workers", type=int, help="override the number of worker processes")
    p.set_defaults(handler=cmd_synthesize)

    p = dsub.add_parser(
        "features", help="cache a speech manifest's encoder features; under torchrun each rank "
                         "encodes its shard and rank 0 merges the index")
    p.add_argument("manifest", help="speech manifest (JSONL)")
    p.add_argument("out_dir", help="folder for the index shards and the merged index.json")
    p.add_argument("--encoder", default="salad.whisper_ct2_encoder.v1",
                   help="speech encoder registry name")
    p.add_argument("--encoder-config", default="{}", help="JSON object: the encoder's config")
    p.add_argument("--cache", default=".cache/features", help="feature cache folder (shared)")
    p.add_argument("--batch-size", type=int, default=8)
    p.set_defaults(handler=cmd_features)

    p = dsub.add_parser(
        "embed", help="embed a text manifest into the embedder's cache and one matrix in "
                      "manifest order; under torchrun each rank embeds its shard and rank 0 "
                      "merges them")
    p.add_argument("manifest", help="text manifest (JSONL)")
    p.add_argument("out_dir", help="folder for the shards and the merged "
                   "embeddings.safetensors / embeddings.json")
    _add_embedder(p)
    p.add_argument("--block-size", type=int, default=1024,
                   help="texts per embed call (the unit of work shared among ranks)")
    p.set_defaults(handler=cmd_embed)

    p = dsub.add_parser("corpus", help="write a corpus source's texts as a text manifest")
    p.add_argument("name", help="corpus registry name, e.g. salad.wordnet_corpus.v1")
    p.add_argument("output", help="text manifest to write (JSONL)")
    p.add_argument("--config", help="JSON object with the corpus config block", default="{}")
    p.add_argument("--limit", type=int, help="stop after this many texts")
    p.set_defaults(handler=cmd_corpus)

    p = dsub.add_parser("cluster", help="embed and cluster a text manifest (Stage II's "
                        "cluster table)")
    p.add_argument("manifest", help="text manifest (JSONL), e.g. data/mini/texts/broad_pool.jsonl")
    p.add_argument("out_dir", help="folder for clusters.json/.md, assignments, centroids")
    _add_embedder(p)
    p.add_argument("--clustering", default="salad.faiss_kmeans.v1",
                   help="clustering backend registry name")
    p.add_argument("--clustering-config", default="{}",
                   help='JSON object: the backend\'s config, e.g. \'{"n_clusters": 128}\'')
    p.set_defaults(handler=cmd_cluster)
    _add_import_speech(dsub)
    data.set_defaults(handler=lambda args: data.print_help() or 2)


def _add_embedder(p) -> None:
    p.add_argument("--embedder", default="salad.sentence_embedder.v1",
                   help="text embedder registry name")
    p.add_argument("--embedder-config", default="{}", help="JSON object: the embedder's config")


def _add_import_speech(dsub) -> None:
    imp = dsub.add_parser("import-speech", help="natural speech (lhotse cuts, Hugging Face "
                          "datasets) -> a speech manifest (resumable)")
    isub = imp.add_subparsers(dest="import_format", metavar="FORMAT")

    def common(p):
        p.add_argument("output", help="speech manifest to write (JSONL; appended, resumable)")
        p.add_argument("--source", help="source name: the `source` field and the prefix of "
                       "each `domains` value (<source>:<recording>)")
        p.add_argument("--audio-dir", help="folder for audio that is not a whole file "
                       "(default: <output name>_audio beside the manifest)")
        p.add_argument("--sample-rate", type=int, default=16000,
                       help="rate of the audio files written (0: keep the source's)")
        p.add_argument("--retry-failed", action="store_true",
                       help="try the rows of the failures file again")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.set_defaults(handler=cmd_import_speech)

    p = isub.add_parser("lhotse", help="a lhotse cut manifest (e.g. LibriHeavy's "
                        "*.jsonl.gz): one utterance per supervision")
    p.add_argument("cuts", help="lhotse cut manifest")
    common(p)
    p.add_argument("--text-key", default="text", help="the supervision's text field, dotted "
                   "(e.g. custom.texts.0)")
    p.add_argument("--audio-root", help="prefix for the recordings' relative paths")

    p = isub.add_parser("hf", help="a Hugging Face dataset (save_to_disk folder, data folder "
                        "or hub id; e.g. Emilia-YODAS-en): one utterance per row")
    p.add_argument("dataset", help="dataset folder or hub id")
    common(p)
    p.add_argument("--split", default="train")
    p.add_argument("--audio-column", default="audio", help="audio: path, {path, bytes} or "
                   "{array, sampling_rate} (dotted for nested columns)")
    p.add_argument("--text-column", default="text", help="transcript (e.g. json.text)")
    p.add_argument("--speaker-column", default="speaker", help="speaker ('' for none)")
    p.add_argument("--id-column", default="id", help="utterance id ('' for none: "
                   "<source>:<row>)")
    p.add_argument("--recording-column", default="", help="recording whose rows are "
                   "consecutive text (default: the speaker, else the whole dataset)")
    p.add_argument("--streaming", action="store_true", help="stream a hub dataset")
    imp.set_defaults(handler=lambda args: imp.print_help() or 2)


def cmd_prepare_mini(args) -> int:
    from ..core.problems import validate_config
    from ..data.files import load_yaml_mapping
    from ..stages.prepare_data.mini import MiniDataConfig, prepare_mini

    values = load_yaml_mapping(args.config, "prepare-mini config") if args.config else {}
    for key in ("data_dir", "narrow_train", "narrow_heldout", "broad_pool", "broad_heldout",
                "workers"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.no_progress:
        values["progress"] = False
    where = f"prepare-mini config {args.config}" if args.config else "prepare-mini options"
    print(prepare_mini(validate_config(MiniDataConfig, values, where), where).format())
    return 0


def cmd_synthesize(args) -> int:
    from ..core.launch import env_world
    from ..synthesis.config import load_config
    from ..synthesis.job import run_synthesis

    world = env_world()
    summary = run_synthesis(load_config(args.config, workers=args.workers),
                            where=f"synthesis config {args.config}", world=world)
    if not world.main:  # rank 0 reports the whole job
        return 0
    print(summary.format())
    problem = summary.problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def _json_object(text: str, option: str) -> dict:
    from ..core.errors import SaladError

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SaladError(f"{option} is not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise SaladError(f"{option} is not a JSON object: {text}")
    return value


def cmd_features(args) -> int:
    from ..core.launch import env_world
    from ..core.plugin_host import get_host
    from ..data.feature_shards import INDEX, cache_shard, merge_shards
    from ..data.shards import merge_when_done, process_group

    world = env_world()
    encoder = get_host().registry("speech_encoder").build(
        args.encoder, _json_object(args.encoder_config, "--encoder-config"))
    cache_shard(args.manifest, encoder, args.cache, args.out_dir, world, args.batch_size)
    with process_group(world):  # one merge step, once every rank has written its shard
        merged = merge_when_done(world, lambda: merge_shards(args.out_dir, world.size))
    if merged is not None:
        print(f"{len(merged['index'])} of {merged['total']} utterances cached by {world.size} "
              f"rank(s), {len(merged['failed'])} failed -> {Path(args.out_dir) / INDEX}")
    return 0


def cmd_embed(args) -> int:
    from ..core.launch import env_world
    from ..core.plugin_host import get_host
    from ..data.shards import merge_when_done, process_group
    from ..selection.embed_shards import VECTORS, embed_shard, merge_shards

    world = env_world()
    config = _json_object(args.embedder_config, "--embedder-config")
    embedder = get_host().registry("text_embedder").build(args.embedder, config)
    label = json.dumps({"embedder": args.embedder, "config": config}, sort_keys=True)
    embed_shard(args.manifest, embedder, label, args.out_dir, world, args.block_size)
    with process_group(world):  # one merge step, once every rank has written its shard
        merged = merge_when_done(world, lambda: merge_shards(args.out_dir, world.size))
    if merged is not None:
        print(f"{len(merged['ids'])} texts ({merged['texts']} distinct) embedded by "
              f"{world.size} rank(s), {len(merged['skipped'])} bad manifest lines skipped -> "
              f"{Path(args.out_dir) / VECTORS}")
    return 0


def cmd_corpus(args) -> int:
    from ..core.errors import SaladError
    from ..core.plugin_host import get_host
    from ..data.manifests import write_text_manifest

    config = _json_object(args.config, "--config")
    if args.limit is not None:
        config["limit"] = args.limit
    corpus = get_host().registry("corpus").build(args.name, config)
    records = list(corpus.iter_records())
    stats = getattr(corpus, "stats", None)
    counts = f" ({stats.summary()})" if stats else ""
    if not records:
        raise SaladError(f"{args.name} gave no texts{counts}; {args.output} was not written")
    n = write_text_manifest(args.output, records)
    print(f"{args.name}: {n} texts -> {args.output}{counts}")
    return 0


def cmd_cluster(args) -> int:
    from ..core.plugin_host import get_host
    from ..selection.pool import cluster_pool, read_pool

    host = get_host()
    embedder_config = _json_object(args.embedder_config, "--embedder-config")
    clustering_config = _json_object(args.clustering_config, "--clustering-config")
    records, skipped = read_pool(args.manifest)
    for error in skipped:
        print(f"skipped {error.format()}", file=sys.stderr)
    embedder = host.registry("text_embedder").build(args.embedder, embedder_config)
    backend = host.registry("clustering").build(args.clustering, clustering_config)
    pool = cluster_pool(records, embedder, backend, args.out_dir, skipped=skipped)
    print(f"{pool.summary()} -> {args.out_dir}")
    return 0


def cmd_import_speech(args) -> int:
    from ..data.speech_sources import import_hf, import_lhotse

    common = {"audio_dir": args.audio_dir, "sample_rate": args.sample_rate or None,
              "retry_failed": args.retry_failed, "progress": not args.no_progress}
    if args.import_format == "lhotse":
        summary = import_lhotse(args.cuts, args.output, source=args.source or "lhotse",
                                text_key=args.text_key, audio_root=args.audio_root, **common)
    else:
        summary = import_hf(args.dataset, args.output, split=args.split,
                            audio_column=args.audio_column, text_column=args.text_column,
                            speaker_column=args.speaker_column or None,
                            id_column=args.id_column or None,
                            recording_column=args.recording_column or None,
                            source=args.source or "hf", streaming=args.streaming, **common)
    print(summary.format())
    if summary.written + summary.done_before == 0 and summary.failed + summary.failed_before:
        print(f"error: every row failed (listed in {summary.failures})", file=sys.stderr)
        return 1
    return 0
