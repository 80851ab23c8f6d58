"""Word error rate with hand-computed values."""

from __future__ import annotations

import importlib
import sys

import pytest

from salad.asr import corpus_wer, edit_distance, normalize_words, wer, word_errors
from salad.core.errors import SaladError


def test_normalisation_drops_case_punctuation_and_fillers():
    assert normalize_words("Hello, World! Um, a well-known 'quoted' word...") == [
        "hello", "world", "a", "well", "known", "quoted", "word"]


def test_bracketed_text_is_read_aloud():
    assert normalize_words("Heat to 350 degrees (180 C) [or less].") == [
        "heat", "to", "350", "degrees", "180", "c", "or", "less"]


@pytest.mark.parametrize("written,spoken", [
    ("when you\u2019re done", "when you are done"),      # curly apostrophe, contraction
    ("I can't and won't", "I can not and will not"),
    ("twenty-one pears and 1,000 apples", "21 pears and one thousand apples"),
    ("the colour grey", "the color gray"),              # British -> American
    ("Mr. Smith", "mister smith"),
])
def test_writing_conventions_are_not_errors(written, spoken):
    assert normalize_words(written) == normalize_words(spoken)
    assert wer(written, spoken) == 0.0


@pytest.mark.parametrize("ref,hyp,errors", [
    ("the cat sat", "the cat sat", 0),
    ("the cat sat", "the bat sat", 1),            # 1 substitution
    ("the cat sat", "the sat", 1),                # 1 deletion
    ("the cat sat", "the cat sat down", 1),       # 1 insertion
    ("a b c d", "b c d e", 2),                    # delete a, insert e
    ("one two three", "", 3),
    ("", "", 0),
])
def test_edit_distance(ref, hyp, errors):
    assert edit_distance(ref.split(), hyp.split()) == errors


def test_wer_values():
    assert wer("The cat sat on the mat.", "the cat sat on a mat") == pytest.approx(1 / 6)
    assert wer("I have 3 apples", "I have 4 apples") == pytest.approx(1 / 4)
    assert wer("Hi there", "hi there there there") == pytest.approx(1.0)
    assert wer("", "") == 0.0 and wer("", "extra") == 1.0
    we = word_errors("a b c", "a x")
    assert (we.errors, we.ref_words) == (2, 3)


def test_corpus_wer_weights_by_reference_length():
    pairs = [("a b c d", "a b c d"), ("e f", "e g")]
    assert corpus_wer(pairs) == pytest.approx(1 / 6)


@pytest.mark.parametrize("module,loader,needs", [
    ("whisper_normalizer.english", "_english_normalizer", "whisper-normalizer"),
    ("kaldialign", "_kaldi_edit_distance", "kaldialign"),
])
def test_missing_package_names_the_extra(monkeypatch, module, loader, needs):
    wer_module = importlib.import_module("salad.asr.wer")

    monkeypatch.setitem(sys.modules, module, None)
    getattr(wer_module, loader).cache_clear()
    try:
        with pytest.raises(SaladError, match=rf"{needs}: pip install 'salad-speech\[asr\]'"):
            wer("a b", "a c")
    finally:
        getattr(wer_module, loader).cache_clear()
