"""Corpus sources on the real installed data (Debian packages, popquotes) and on local files."""

from __future__ import annotations

import json

import pytest

from salad import get_host
from salad.core.errors import SaladError


def build(name, **config):
    return get_host().registry("corpus").build(name, config)


def _need(path):
    from pathlib import Path

    if not Path(path).exists():
        pytest.skip(f"{path} not installed (see .ci/run for the Debian packages)")


def test_popquotes_strips_speakers_and_stage_directions():
    import importlib.util

    if importlib.util.find_spec("popquotes") is None:
        pytest.skip("popquotes not installed: pip install --no-deps popquotes")
    recs = list(build("salad.popquotes_corpus.v1", limit=300).iter_records())
    assert len(recs) == 300
    assert {d for r in recs for d in r.domains} <= {
        "simpsons", "futurama", "2001_a_space_odyssey", "monty_python_holy_grail",
        "anchorman", "the_hangover"}
    assert not any("[" in r.text or r.text.startswith(("Homer:", "Angry Biker:")) for r in recs)


def test_popquotes_clean_quote():
    from salad_plugins.text_corpora.popquotes import clean_quote

    assert clean_quote("Bart: [_gasps_] Milhouse! [_runs [up]_] Hey.\n\n   [1]: 1F16.html") \
        == "Milhouse! Hey."
    assert clean_quote("Okay, stand up: who wrote it?") == "Okay, stand up: who wrote it?"


def test_wordnet_examples_and_glosses_with_lexnames():
    _need("/usr/share/wordnet/data.verb")
    recs = list(build("salad.wordnet_corpus.v1", pos=["verb"], limit=400).iter_records())
    assert len(recs) == 400
    assert all(r.domains[0].startswith("verb.") for r in recs)
    kinds = {r.id.split(":")[3][0] for r in recs}
    assert kinds == {"e", "g"}
    first = next(r for r in recs if r.id.startswith("wordnet:verb:00001740:g"))
    assert first.domains == ("verb.body",) and first.text.startswith("Draw air into")


def test_wordnet_parse_gloss():
    from salad_plugins.text_corpora.wordnet import LEXNAMES, parse_gloss

    assert len(LEXNAMES) == 45 and LEXNAMES[5] == "noun.animal" and LEXNAMES[38] == "verb.motion"
    defs, examples = parse_gloss('breathe with difficulty; gasp; "She choked with emotion"  ')
    assert defs == ["breathe with difficulty", "gasp"]
    assert examples == ["She choked with emotion"]


def test_fortunes_topics():
    _need("/usr/share/games/fortunes/science")
    corpus = build("salad.fortunes_corpus.v1", topics=["science", "food"])
    recs = list(corpus.iter_records())
    assert {r.domains[0] for r in recs} == {"science", "food"} and len(recs) > 100
    assert not any(r.text.lstrip().startswith("--") for r in recs)


def test_fortunes_split_entries_drops_attribution():
    from salad_plugins.text_corpora.fortunes import split_entries

    assert split_entries("One.\n\t\t-- Someone\n%\nTwo\nlines.\n%\n") == ["One.", "Two\nlines."]


def test_gcide_definitions_with_subject_labels():
    _need("/usr/share/dictd/gcide.dict.dz")
    recs = list(build("salad.gcide_corpus.v1", limit=300).iter_records())
    assert len(recs) == 300 and all(r.source == "gcide" for r in recs)
    assert not any("[" in r.text or "\\" in r.text for r in recs)
    assert "general" in {r.domains[0] for r in recs} and len({r.domains[0] for r in recs}) > 3


def test_gcide_parse_sense():
    from salad_plugins.text_corpora.gcide import parse_sense

    assert parse_sense("2. (Zool.) The posterior section of the body. [1913 Webster]") == (
        "The posterior section of the body.", "zool")
    assert parse_sense("Causing abdication. [R.] --Bailey.") == ("Causing abdication.", "general")


def test_text_file_plain_and_jsonl_with_bad_lines(tmp_path):
    (tmp_path / "a.txt").write_text("First plain line here.\n\nSecond plain line here.\n")
    (tmp_path / "b.jsonl").write_text("\n".join([
        json.dumps({"uid": "x", "body": "A json text with a label.", "topic": "sci"}),
        "{broken",
        json.dumps({"uid": "y", "body": 3}),
        json.dumps({"uid": "z", "body": "Another json text, two labels.", "topic": ["a", "b"]}),
    ]) + "\n")
    corpus = build("salad.text_file_corpus.v1", paths=[str(tmp_path / "a.txt"),
                   str(tmp_path / "b.jsonl")], text_field="body", id_field="uid",
                   domain_field="topic", default_domains=["local"])
    recs = list(corpus.iter_records())
    assert [(r.id, r.domains) for r in recs] == [
        ("a:1", ("local",)), ("a:3", ("local",)), ("x", ("local", "sci")),
        ("z", ("local", "a", "b"))]
    assert corpus.stats["bad_line"] == 2
    assert corpus.problems[0].startswith(f"{tmp_path / 'b.jsonl'}:2: invalid JSON")
    assert "b.jsonl:3: field 'body'" in corpus.problems[1]
    strict = build("salad.text_file_corpus.v1", paths=[str(tmp_path / "b.jsonl")],
                   text_field="body", on_error="raise")
    with pytest.raises(SaladError, match=r"b\.jsonl:2"):
        list(strict.iter_records())


def test_text_file_missing_file_is_clear(tmp_path):
    with pytest.raises(SaladError, match="not found"):
        build("salad.text_file_corpus.v1", paths=[str(tmp_path / "nope.txt")])


@pytest.mark.slow
def test_hf_corpus_on_local_jsonl(tmp_path, monkeypatch):
    pytest.importorskip("datasets", reason="Hugging Face datasets not installed")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"doc{i}", "text": f"Document {i} starts. "
                                          f"It has a second sentence {i}.", "lang": "en"})
                              for i in range(5)) + "\n")
    corpus = build("salad.hf_corpus.v1", dataset="json", data_files=[str(path)],
                   domain_fields=["lang"], limit=7)
    recs = list(corpus.iter_records())
    assert len(recs) == 7 and recs[0].id == "json:doc0.s0"
    assert recs[1].text == "It has a second sentence 0." and recs[0].domains == ("en",)


def test_plugins_list_does_not_import_heavy_modules():
    import subprocess
    import sys

    code = ("import sys; from salad import get_host; get_host().registry('corpus').names(); "
            "print(any(m in sys.modules for m in ('datasets', 'torch', 'sqlite3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
