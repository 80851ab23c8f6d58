from __future__ import annotations

import pytest
from pydantic import ValidationError

from salad.core.items import TextRecord
from salad.data.text import (
    TextFilterConfig,
    TextStats,
    clean_text,
    normalized_key,
    process_records,
    split_sentences,
)


def test_clean_text_quotes_controls_whitespace():
    raw = "\u201cHello\u201d \u2014 it\u2019s\x07 a\u00a0test\u2026\u200b  ok\n"
    assert clean_text(raw) == '"Hello" - it\'s a test... ok'


def test_split_sentences_keeps_abbreviations_and_initials():
    text = 'Mr. Smith met Dr. J. Watson at 5 p.m. today. "Great!" he said. Was it? Yes.'
    assert split_sentences(text) == [
        "Mr. Smith met Dr. J. Watson at 5 p.m. today.", '"Great!" he said.', "Was it?", "Yes."]


def test_normalized_key_ignores_case_and_punctuation():
    assert normalized_key("Hello, World!") == normalized_key("hello world")
    assert normalized_key("hello world") != normalized_key("hello there world")


def test_process_records_filters_dedupes_and_keeps_domains():
    recs = [
        TextRecord("a", "This is fine. Too short. Hello, world again.", "s", ("x",)),
        TextRecord("b", "hello WORLD again", "s", ("y",)),
        TextRecord("c", "Das ist schön und wirklich sehr gut.", "s", ()),
        TextRecord("d", "Это просто тест на кириллице тут", "s", ()),
    ]
    stats = TextStats()
    out = list(process_records(recs, TextFilterConfig(min_words=3), stats))
    assert [(r.id, r.text, r.domains) for r in out] == [
        ("a.s0", "This is fine.", ("x",)), ("a.s2", "Hello, world again.", ("x",)),
        ("c", "Das ist schön und wirklich sehr gut.", ())]
    assert stats["duplicate"] == 1 and stats["too_few_words"] == 1 and stats["not_latin"] == 1
    assert stats["kept"] == 3


def test_limit_and_validation():
    recs = [TextRecord(str(i), f"Sentence number {i} here.", "s") for i in range(10)]
    assert len(list(process_records(recs, TextFilterConfig(), limit=4))) == 4
    with pytest.raises(ValidationError, match="min_words"):
        TextFilterConfig(min_words=10, max_words=5)
