"""prepare_mini end to end on small local corpora with the tone engine (fast), and with the
real classic voices on a few utterances (slow)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from salad.core.items import TextRecord
from salad.data.manifests import read_speech_manifest
from salad.data.text import split_half
from salad.stages.prepare_data.mini import MiniDataConfig, _without, prepare_mini

TONE = str(Path(__file__).resolve().parents[1] / "helpers" / "tone_tts.py")


def _letters(i: int) -> str:
    return "".join(chr(ord("a") + int(d)) for d in str(i))   # texts that differ in letters


def _corpus(path: Path, n: int, domains: list[str]) -> dict:
    path.write_text("\n".join(json.dumps({"id": f"{path.stem}{i}",
                                           "text": f"Line {_letters(i)} of {path.stem} says "
                                                   "something about the day.",
                                          "domains": [domains[i % len(domains)]]})
                              for i in range(n)) + "\n")
    return {"name": "salad.text_file_corpus.v1", "config": {"paths": [str(path)]}}


def test_prepare_mini_with_tone_voices(tmp_path, capsys):
    tone = [{"engine": "test.tone_tts.v1", "voice": v, "label": f"tone-{v}-{k}",
             "augment": {"gain_db": [-k, 0]} if k else None}
            for v in ("low", "high") for k in range(4)]
    cfg = MiniDataConfig(
        data_dir=str(tmp_path / "mini"), plugins=[TONE], workers=1, progress=False,
        narrow_corpus=_corpus(tmp_path / "talk.jsonl", 30, ["chat"]),
        broad_corpora=[_corpus(tmp_path / "a.jsonl", 40, ["x", "y"]),
                       _corpus(tmp_path / "b.jsonl", 40, ["z"])],
        narrow_train=16, narrow_heldout=4, broad_pool=50, broad_heldout=10,
        train_voices=tone, heldout_voices=[{"engine": "test.tone_tts.v1", "voice": "high",
                                            "label": "tone-heldout"}],
        broad_train=6, broad_train_voices=tone[:2], halves_words=(8, 12), halves_broad=3,
        target_train=5, target_voices=[{"engine": "test.tone_tts.v1", "voice": "low",
                                        "label": "tone-target"}], language_texts=True)
    summary = prepare_mini(cfg)
    sets = {s.name: s for s in summary.sets}
    assert sets["broad_train_speech"].utterances == 6
    assert sets["target_train_speech"].utterances == 5
    assert sets["target_train_speech"].voices == ["tone-target"]
    assert sets["narrow_halves_speech"].utterances == 4
    assert sets["broad_halves_speech"].voices == ["tone-heldout"]
    full = {json.loads(x)["id"]: json.loads(x)["text"] for x in
            (tmp_path / "mini" / "texts" / "narrow_heldout.jsonl").read_text().splitlines()}
    for rec in read_speech_manifest(tmp_path / "mini" / "speech" / "narrow_halves.jsonl").records:
        source = rec.text_id.removesuffix("#h1")
        assert rec.text_id.endswith("#h1") and rec.text == split_half(full[source])[0]
    assert sets["narrow_train_speech"].utterances == 16
    assert len(sets["narrow_train_speech"].voices) == 8
    assert sets["narrow_heldout_speech"].voices == ["tone-heldout"]
    assert sets["broad_pool_text"].utterances == 50 and sets["broad_pool_text"].domains == 3
    texts = {n: {json.loads(x)["id"] for x in (tmp_path / "mini" / "texts" / f"{n}.jsonl")
                 .read_text().splitlines()}
             for n in ("narrow_train", "narrow_heldout", "broad_pool", "broad_heldout")}
    assert not texts["narrow_train"] & texts["narrow_heldout"]
    assert not texts["broad_pool"] & texts["broad_heldout"]
    pool = [json.loads(x)["id"] for x in
            (tmp_path / "mini" / "texts" / "broad_pool.jsonl").read_text().splitlines()]
    target = [json.loads(x)["id"] for x in
              (tmp_path / "mini" / "texts" / "target_train.jsonl").read_text().splitlines()]
    assert target == pool[6:11]   # the pool texts after broad_train's
    # The written language: every corpus text but the held-out ones (30 + 80 - 4 - 10).
    language = [json.loads(x) for x in
                (tmp_path / "mini" / "texts" / "language.jsonl").read_text().splitlines()]
    assert len(language) == 96 and sets["language_text"].utterances == 96
    assert not {r["id"] for r in language} & (texts["narrow_heldout"] | texts["broad_heldout"])
    text = summary.format()
    assert "narrow_train_speech" in text and "10 voices" in text
    # Rerun: everything is already done, nothing is synthesized again.
    again = prepare_mini(cfg)
    assert [s.utterances for s in again.sets] == [s.utterances for s in summary.sets]
    speech = read_speech_manifest(tmp_path / "mini" / "speech" / "narrow_train.jsonl").records
    assert all(Path(r.audio).is_file() and r.sample_rate == 16000 for r in speech)


def test_language_texts_drop_held_out_duplicates_under_other_ids():
    held = TextRecord("q1", "Hello, world!", "quotes")
    records = [held, TextRecord("q2", "hello  world", "quotes"),
               TextRecord("q3", "Hi.", "quotes")]
    assert [r.id for r in _without(records, [held])] == ["q3"]
    held = TextRecord("w1", "Created in 1989.", "wordnet")   # equal once digits are dropped
    assert _without([held, TextRecord("w2", "Created in 1947", "wordnet")], [held]) == []


@pytest.mark.slow
@pytest.mark.skipif(not all(shutil.which(b) for b in ("espeak-ng", "flite", "text2wave")),
                    reason="espeak-ng, flite and festival Debian packages needed")
def test_prepare_mini_real_voices(tmp_path):
    cfg = MiniDataConfig(
        data_dir=str(tmp_path / "mini"), workers=1, progress=False,
        narrow_corpus=_corpus(tmp_path / "talk.jsonl", 30, ["chat"]),
        broad_corpora=[_corpus(tmp_path / "a.jsonl", 20, ["x"])],
        narrow_train=10, narrow_heldout=2, broad_pool=10, broad_heldout=5)
    summary = prepare_mini(cfg)
    train = next(s for s in summary.sets if s.name == "narrow_train_speech")
    assert train.utterances == 10 and train.failed == 0 and train.hours > 0


def test_failed_synthesis_counts_name_the_failures_file(tmp_path):
    tone = {"engine": "test.tone_tts.v1", "voice": "low", "config": {"fail_on": "b of"}}
    cfg = MiniDataConfig(
        data_dir=str(tmp_path / "mini"), plugins=[TONE], workers=1, progress=False,
        narrow_corpus=_corpus(tmp_path / "talk.jsonl", 30, ["chat"]),
        broad_corpora=[_corpus(tmp_path / "a.jsonl", 20, ["x"])],
        narrow_train=24, narrow_heldout=4, broad_pool=10, broad_heldout=5,
        train_voices=[tone], heldout_voices=[{**tone, "label": "tone-heldout"}])
    summary = prepare_mini(cfg)
    train = {s.name: s for s in summary.sets}["narrow_train_speech"]
    assert train.failed > 0
    failures = tmp_path / "mini" / "speech" / "narrow_train.jsonl.failures.jsonl"
    assert train.failures_file == str(failures) and failures.is_file()
    assert f"({train.failed} failed; see {failures})" in summary.format()
