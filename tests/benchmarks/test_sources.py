from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from salad_plugins.benchmarks import formats
from salad_plugins.benchmarks.hooks import benchmark_record
from salad_plugins.benchmarks.source import map_hf_rows
from salad_plugins.benchmarks.specs import BUILTIN, BenchmarkSpec

from salad import BenchmarkItem, ComponentRecord, SaladError
from salad.core.plugin_host import get_host

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "benchmarks"
LOCAL = {s.name: s for s in BUILTIN}
NAMES = ["openbookqa", "piqa", "arc_challenge", "hellaswag", "storycloze", "mmsu", "copa",
         "winogrande", "boolq", "lambada"]


@pytest.fixture
def bench_dir(monkeypatch):
    path = Path(os.environ.get("SALAD_BENCHMARKS_DIR", SHARED))
    if not path.is_dir():
        pytest.skip("benchmark files not present (set SALAD_BENCHMARKS_DIR)")
    monkeypatch.setenv("SALAD_BENCHMARKS_DIR", str(path))
    return path


def registry():
    return get_host().registry("benchmark")


def test_all_benchmarks_registered():
    names = registry().names()
    for n in NAMES:
        assert f"salad.{n}.v1" in names
    assert "salad.jsonl_benchmark.v1" in names


@pytest.mark.parametrize("name,n,k", [
    ("openbookqa", 500, 4), ("piqa", 1838, 2), ("arc_challenge", 1172, 4),
    ("hellaswag", 1000, 4), ("copa", 100, 2), ("boolq", 3270, 2), ("winogrande", 1267, 2),
    ("lambada", 5153, 1)])
def test_local_files_load(bench_dir, name, n, k):
    src = registry().build(f"salad.{name}.v1")
    items = list(src.iter_items())
    assert len(items) == n and src.name == name
    first = items[0]
    assert isinstance(first, BenchmarkItem) and first.benchmark == name
    opts = len(first.contexts) if first.contexts is not None else len(first.choices)
    assert opts == k and len({i.id for i in items}) == n


def test_local_prompt_shapes(bench_dir):
    piqa = next(iter(registry().build("salad.piqa.v1").iter_items()))
    assert piqa.context.startswith("Question: ") and piqa.context.endswith("?\nAnswer:")
    hs = next(iter(registry().build("salad.hellaswag.v1").iter_items()))
    assert hs.context.startswith("Pole vault: Pole vault is a sport")
    assert hs.context.endswith("A few women") and hs.gold == 3
    lam = next(iter(registry().build("salad.lambada.v1").iter_items()))
    assert lam.choices == ("signs",) and not lam.context.endswith(" ")


def test_limit_is_seeded_subset(bench_dir):
    reg = registry()
    a = [i.id for i in reg.build("salad.copa.v1", {"limit": 10, "seed": 1}).iter_items()]
    b = [i.id for i in reg.build("salad.copa.v1", {"limit": 10, "seed": 1}).iter_items()]
    c = [i.id for i in reg.build("salad.copa.v1", {"limit": 10, "seed": 2}).iter_items()]
    assert a == b == sorted(a) and len(a) == 10 and a != c
    small = [i.id for i in reg.build("salad.copa.v1", {"limit": 4, "seed": 1}).iter_items()]
    assert set(small) < set(a)


def test_missing_source_and_bad_lines(tmp_path, monkeypatch):
    monkeypatch.delenv("SALAD_BENCHMARKS_DIR", raising=False)
    with pytest.raises(SaladError, match="SALAD_BENCHMARKS_DIR"):
        list(registry().build("salad.copa.v1").iter_items())
    bad = tmp_path / "b.jsonl"
    good = {"query": "q", "choices": ["a", "b"], "gold": 0}
    bad.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "gold": 2}) + "\n")
    with pytest.raises(SaladError, match=r"b\.jsonl:3: .*'gold' must be an index"):
        list(registry().build("salad.copa.v1", {"path": str(bad)}).iter_items())
    bad.write_text("{not json\n")
    with pytest.raises(SaladError, match=r"b\.jsonl:1: invalid JSON"):
        list(registry().build("salad.copa.v1", {"path": str(bad)}).iter_items())
    bad.write_text(json.dumps({"query": "q", "gold": 0}) + "\n")
    with pytest.raises(SaladError, match="missing field 'choices'"):
        list(registry().build("salad.copa.v1", {"path": str(bad)}).iter_items())


def test_local_file_and_hf_are_exclusive():
    for local in ({"path": "x.jsonl"}, {"data_dir": "somewhere"}):
        with pytest.raises(SaladError, match=r"either a local file .* or `hf`"):
            registry().build("salad.copa.v1", {**local, "hf": True})


def test_data_dir_takes_the_place_of_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SALAD_BENCHMARKS_DIR", raising=False)
    (tmp_path / "copa.jsonl").write_text(json.dumps(
        {"query": "The glass fell, therefore", "choices": ["it broke.", "it sang."],
         "gold": 0}) + "\n")
    items = list(registry().build("salad.copa.v1", {"data_dir": str(tmp_path)}).iter_items())
    assert [i.choices for i in items] == [("it broke.", "it sang.")]
    with pytest.raises(SaladError, match="set `data_dir` or SALAD_BENCHMARKS_DIR"):
        registry().build("salad.copa.v1").iter_items().__next__()


def test_generic_jsonl_benchmark(tmp_path):
    p = tmp_path / "mine.jsonl"
    p.write_text(json.dumps({"context_options": ["A", "B"], "continuation": "x", "gold": 1}))
    src = registry().build("salad.jsonl_benchmark.v1",
                           {"name": "mine", "format": "winogrande", "path": str(p)})
    (it,) = src.iter_items()
    assert it.benchmark == "mine" and it.contexts == ("A", "B") and it.id == "mine-00001"


def test_third_party_spec_plugs_in():
    spec = BenchmarkSpec("acme", "acme.quiz.v1", "A quiz.", "acme.jsonl",
                         formats.multiple_choice("\nA:"))
    rec = benchmark_record(spec)
    assert isinstance(rec, ComponentRecord) and not rec.problems()


# ---- Hugging Face row mappings, on rows shaped like the hub's (no network) ----

HF_ROWS = {
    "openbookqa": {"id": "7-980", "question_stem": "The sun is responsible for",
                   "choices": {"text": ["puppies", "plants sprouting", "color", "rain"],
                               "label": ["A", "B", "C", "D"]}, "answerKey": "B"},
    "arc_challenge": {"id": "Mercury_1", "question": "Which is a metal?",
                      "choices": {"text": ["wood", "iron", "glass"], "label": ["1", "2", "3"]},
                      "answerKey": "2"},
    "piqa": {"goal": "Open a jar", "sol1": "twist lid", "sol2": "eat lid", "label": 0},
    "hellaswag": {"ind": 4, "activity_label": "Removing ice from car",
                  "ctx_a": "Then, the man writes over the snow.", "ctx_b": "then",
                  "ctx": "...", "endings": [", the man [title] adds wax.", "b", "c", "d"],
                  "label": "3"},
    "storycloze": {"story_id": "s1", "input_sentence_1": "A.", "input_sentence_2": "B.",
                   "input_sentence_3": "C.", "input_sentence_4": "D.",
                   "sentence_quiz1": "E.", "sentence_quiz2": "F.", "answer_right_ending": 2},
    "mmsu": {"question_id": 12, "question": "2+2?", "option_a": "3", "option_b": "4",
             "option_c": "5", "option_d": "6", "answer": "B", "category": "math"},
    "copa": {"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.",
             "choice2": "The grass was cut.", "question": "cause", "idx": 0, "label": 0},
    "winogrande": {"sentence": "Sarah was better than Maria so _ got the easy cases.",
                   "option1": "Sarah", "option2": "Maria", "answer": "2"},
    "boolq": {"question": "is water wet", "answer": True, "passage": "Water is wet."},
    "lambada": {"text": "He looked at the sky and saw a bird"},
}

EXPECTED = {
    "openbookqa": ("The sun is responsible for", 4, 1),
    "arc_challenge": ("Question: Which is a metal?\nAnswer:", 3, 1),
    "piqa": ("Question: Open a jar\nAnswer:", 2, 0),
    "hellaswag": ("Removing ice from car: Then, the man writes over the snow. Then", 4, 3),
    "storycloze": ("A. B. C. D.", 2, 1),
    "mmsu": ("Question: 2+2?\nAnswer:", 4, 1),
    "copa": ("My body cast a shadow over the grass, because", 2, 0),
    "winogrande": ("", 1, 1),
    "boolq": ("Passage: Water is wet.\nQuestion: is water wet?\nAnswer:", 2, 1),
    "lambada": ("He looked at the sky and saw a", 1, 0),
}


@pytest.mark.parametrize("name", NAMES)
def test_hf_row_mapping(name):
    spec = LOCAL[name]
    assert spec.hf is not None and spec.hf_parser is not None
    (it,) = map_hf_rows(spec, [HF_ROWS[name]], spec.hf.splits[0])
    context, n_choices, gold = EXPECTED[name]
    assert (it.context, len(it.choices), it.gold) == (context, n_choices, gold)
    assert it.id.startswith(f"{name}-{spec.hf.splits[0]}-")


def test_hf_details():
    hs = next(map_hf_rows(LOCAL["hellaswag"], [HF_ROWS["hellaswag"]], "validation"))
    assert hs.choices[0] == ", the man. adds wax." and hs.id == "hellaswag-validation-4"
    copa = next(map_hf_rows(LOCAL["copa"], [HF_ROWS["copa"]], "validation"))
    assert copa.choices == ("the sun was rising.", "the grass was cut.")
    wino = next(map_hf_rows(LOCAL["winogrande"], [HF_ROWS["winogrande"]], "validation"))
    assert wino.contexts == ("Sarah was better than Maria so Sarah",
                             "Sarah was better than Maria so Maria")
    assert wino.choices == ("got the easy cases.",)
    lam = next(map_hf_rows(LOCAL["lambada"], [HF_ROWS["lambada"]], "test"))
    assert lam.choices == ("bird",)
    with pytest.raises(SaladError, match=r"allenai/ai2_arc\[test\]\[0\]"):
        list(map_hf_rows(LOCAL["arc_challenge"], [{"question": "q"}], "test"))


def test_hf_source_needs_datasets_or_data_dir(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_datasets(name, *a, **k):
        if name == "datasets":
            raise ImportError("no datasets")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(SaladError, match=r"salad-speech\[hf\]"):
        list(registry().build("salad.piqa.v1", {"hf": True}).iter_items())
    with pytest.raises(SaladError, match="data_dir"):
        list(registry().build("salad.storycloze.v1", {"hf": True}).iter_items())
