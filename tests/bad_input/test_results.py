"""Nothing already written is replaced by an empty result; benchmark files that are not UTF-8
or hold no items are located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salad.core.errors import SaladError
from salad.core.plugin_host import host_for

from .conftest import write_jsonl

torch = pytest.importorskip("torch")

from salad.evaluation.config import EvalConfig  # noqa: E402
from salad.evaluation.suite import EvalModels, Evaluation, benchmark_items  # noqa: E402

from ..evaluation.fake_lm import BigramLM  # noqa: E402

ITEM = {"query": "Question: pick one\n", "choices": ["a", "b"], "gold": 0}

EMPTY_SOURCE = '''
from pydantic import BaseModel, ConfigDict
import salad

class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int | None = None
    seed: int = 0

class Empty:
    name = "empty"
    def __init__(self, config):
        pass
    def iter_items(self):
        return iter(())

@salad.hookimpl
def salad_benchmarks():
    return [salad.ComponentRecord(name="test.empty_bench.v1", version="1", config=Cfg,
                                  factory=Empty, summary="A source without items.")]
'''


def _config(tmp_path: Path, benchmark: str) -> EvalConfig:
    return EvalConfig(benchmarks=[benchmark], modes=["teacher_text"], limit=None,
                      eval_cache=str(tmp_path / "cache"), progress=False)


def test_benchmark_file_that_is_not_utf8_or_empty(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_bytes(json.dumps(ITEM).encode() + b'\n{"query": "caf\xe9", "choices": []}\n')
    with pytest.raises(SaladError, match=rf"{path}:2: not UTF-8 \(byte 0xe9 at column 15\)"):
        benchmark_items(str(path), _config(tmp_path, str(path)))
    path.write_text("\n\n")
    with pytest.raises(SaladError, match=rf"benchmark file {path} holds no items"):
        benchmark_items(str(path), _config(tmp_path, str(path)))


def test_an_evaluation_without_items_keeps_the_earlier_results(tmp_path):
    out = tmp_path / "eval"
    bench = write_jsonl(tmp_path / "bench.jsonl", [ITEM, {**ITEM, "gold": 1}])
    models = EvalModels(teacher=BigramLM(), teacher_id="bigram")
    Evaluation(models, _config(tmp_path, str(bench)), out, log=lambda *a: None).run("r", {})
    before = (out / "results.json").read_text()
    assert json.loads(before)["benchmarks"][0]["n_items"] == 2
    plugin = tmp_path / "empty_bench.py"
    plugin.write_text(EMPTY_SOURCE)
    host_for([plugin])
    with pytest.raises(SaladError, match="gave no items: nothing was evaluated"):
        Evaluation(models, _config(tmp_path, "test.empty_bench.v1"), out,
                   log=lambda *a: None).run("r", {})
    assert (out / "results.json").read_text() == before


def test_a_corpus_without_texts_does_not_overwrite_the_manifest(cli, tmp_path):
    out = tmp_path / "texts.jsonl"
    out.write_text('{"id": "kept", "text": "an earlier text"}\n')
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    rc, _, err = cli("data", "corpus", "salad.text_file_corpus.v1", str(out), "--config",
                     json.dumps({"paths": [str(empty)]}))
    assert rc == 1 and "gave no texts" in err and f"{out} was not written" in err
    assert out.read_text() == '{"id": "kept", "text": "an earlier text"}\n'
