"""The evaluation as a sharded job: 2 and 8 ranks give the merged results of 1 rank, item by item,
on the tiny Llama (teacher; untrained student) with text and speech modes (flite voice, fbank
encoder). The ranks of the in-process test run one after the other in this process (the
barrier is a no-op without a process group); the slow test runs ``salad eval`` under
``torchrun``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from salad.core.errors import SaladError
from salad.core.launch import World
from salad.data.shards import shard_path
from salad.evaluation.config import EvalConfig
from salad.evaluation.run_models import load_models
from salad.evaluation.suite import SHARD, Evaluation
from salad.recipe import validate_recipe

from .conftest import REPO
from .helpers.tiny_run import tiny_components
from .helpers.torchrun import torchrun

QUESTIONS = [  # (query, choices, gold); the empty context is skipped in the speech mode
    ("Question: What colour is a clear daytime sky?\n", ["blue", "green", "red"], 0),
    ("Question: How many legs does a cat have?\n", ["two", "four"], 1),
    ("The kettle boiled, therefore", ["the tea was made.", "the tea froze."], 0),
    ("Question: Which one barks?\n", ["a dog", "a fish"], 0),
    ("", ["snow is cold", "snow is hot"], 0),
    ("Question: What do bees make?\n", ["honey", "milk", "glass"], 0),
    ("Question: How many legs does a cat have?\n", ["four", "six"], 0),  # a shared text
]


def _bench(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps({"query": q, "choices": c, "gold": g}) + "\n"
                            for q, c, g in QUESTIONS))
    return path


def _config(tmp_path, bench, name: str) -> EvalConfig:
    # Scores are not shared: each run scores every item. Audio and frames are: an utterance's
    # frames depend in the last float32 digits on the utterances it was encoded with in one
    # encoder batch (measured: speech-mode log-likelihoods 2e-5 relative apart when each run
    # encodes its own), which is the feature cache's business, not the evaluation's.
    caches = tmp_path / f"caches-{name}"
    return EvalConfig(benchmarks=[str(bench)], limit=None, voices=["flite:slt"],
                      modes=["teacher_text", "student_text", "student_speech"], batch_size=4,
                      eval_cache=str(caches / "eval"), tts_cache=str(tmp_path / "tts"),
                      feature_cache=str(tmp_path / "features"), progress=False)


def _evaluate(models, cfg, out, size: int) -> dict:
    ranks = [Evaluation(models, cfg, out, log=lambda *a: None, world=World(r, size))
             for r in range(size)]
    if size == 1:
        return ranks[0].run("tiny", {})
    for ev in ranks:
        ev.write_shard()
    return ranks[0].merge("tiny", {})


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _same_rows(got: list[dict], want: list[dict]) -> bool:
    """Per item the same choice, audio and fields, and the same log-likelihoods up to float
    noise (a rank batches its own items, and the LM's sums depend on the batch's padding)."""
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert {k: v for k, v in a.items() if k != "loglik"} == {
            k: v for k, v in b.items() if k != "loglik"}
        assert a["loglik"] == pytest.approx(b["loglik"], rel=1e-5, abs=1e-5)
    return True


def _comparable(results: dict) -> dict:
    """Results without the wall time and the synthesis manifests' failure files (one per
    rank)."""
    out = {k: v for k, v in results.items() if k not in ("seconds", "config")}
    out["spoken"] = {v: {k: x for k, x in s.items() if k != "failures_file"}
                     for v, s in results["spoken"].items()}
    return out


def test_ranks_merge_to_the_results_of_one(tmp_path, tiny_lm_dir, salad_write_recipe):
    recipe = salad_write_recipe({"name": "shards", "output_dir": str(tmp_path / "runs"),
                                 "components": tiny_components(tiny_lm_dir)})
    models = load_models(validate_recipe(recipe), None, speech=True)
    bench = _bench(tmp_path)
    one = _evaluate(models, _config(tmp_path, bench, "one"), tmp_path / "one", 1)
    rows = _rows(tmp_path / "one" / "items.jsonl")
    assert len(rows) == 7 + 7 + 6  # teacher text, student text, student speech
    (b,) = one["benchmarks"]
    assert b["n_items"] == 7 and b["modes"]["student_speech@flite:slt"]["skipped"] == 1
    for size in (2, 8):  # 8 ranks: rank 7 has no item
        out = tmp_path / str(size)
        many = _evaluate(models, _config(tmp_path, bench, str(size)), out, size)
        assert _comparable(many) == _comparable(one)
        assert _same_rows(_rows(out / "items.jsonl"), rows)
    shard = json.loads(shard_path(tmp_path / "2", SHARD, 1, 2).read_text())
    ids = [r["item"] for r in shard["benchmarks"][0]["modes"]["teacher_text"]["rows"]]
    assert ids == shard["benchmarks"][0]["items"][1::2]  # rank 1: items 1, 3, 5


def test_merge_names_a_missing_shard(tmp_path):
    from salad.data.shards import read_shards

    with pytest.raises(SaladError, match="eval.shard-00001-of-00002.json"):
        read_shards(tmp_path, SHARD, 2, "rerun")


@pytest.mark.slow
def test_salad_eval_under_torchrun_matches_one_process(tmp_path, tiny_lm_dir,
                                                       salad_write_recipe):
    recipe = salad_write_recipe({"name": "shards", "output_dir": str(tmp_path / "runs"),
                                 "components": tiny_components(tiny_lm_dir)})
    run_dir = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "salad.cli.main", "run", str(recipe), "--run-dir",
                    str(run_dir)], check=True, capture_output=True, cwd=REPO, timeout=120)
    bench = _bench(tmp_path)
    runs = {}
    for size in (1, 2):
        out, cwd = tmp_path / f"eval{size}", tmp_path / f"cwd{size}"  # caches under cwd
        cwd.mkdir()
        result = torchrun(size, ["eval", str(run_dir), "--checkpoint", "initial", "--modes",
                                 "teacher_text", "student_text", "--benchmarks", str(bench),
                                 "--limit", "all", "--no-progress", "--out", str(out),
                                 "--label", "tiny"], cwd)
        assert (out / "report.md").is_file() and result.stdout.count("results:") == 1
        assert (shard_path(out, SHARD, 1, 2).is_file()) == (size == 2)
        runs[size] = (json.loads((out / "results.json").read_text()),
                      _rows(out / "items.jsonl"))
    assert _comparable(runs[1][0]) == _comparable(runs[2][0])
    assert runs[1][1] == runs[2][1]


@pytest.mark.slow
def test_evaluate_stage_under_torchrun(tmp_path, tiny_lm_dir, salad_write_recipe):
    """A launch whose first stage is evaluate: every rank waits for rank 0's run directory."""
    bench = _bench(tmp_path)
    recipe = salad_write_recipe({
        "name": "shards", "output_dir": str(tmp_path / "runs"),
        "components": tiny_components(tiny_lm_dir),
        "stages": [{"name": "evaluate", "config": {
            "benchmarks": [str(bench)], "modes": ["teacher_text", "student_text"],
            "limit": None, "voices": ["flite:slt"], "progress": False}}]})
    run_dir = tmp_path / "run"
    result = torchrun(2, ["run", str(recipe), "--run-dir", str(run_dir)], tmp_path)
    assert result.stdout.count("stage evaluate: done") == 1
    res = json.loads((run_dir / "eval" / "results.json").read_text())
    assert res["benchmarks"][0]["modes"]["student_text"]["n"] == 7
    assert shard_path(run_dir / "eval", SHARD, 1, 2).is_file()
