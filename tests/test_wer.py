"""Word error rate with hand-computed values."""

from __future__ import annotations

import pytest

from salad.asr import corpus_wer, edit_distance, normalize_words, wer, word_errors


def test_normalisation_drops_case_and_punctuation_keeps_numbers():
    assert normalize_words("Hello, World! It\u2019s 3 o'clock.") == [
        "hello", "world", "it's", "3", "o'clock"]
    assert normalize_words("well-known 'quoted' words") == ["well", "known", "quoted", "words"]


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
    assert wer("I have 3 apples", "I have three apples") == pytest.approx(1 / 4)
    assert wer("Hi there", "hi there there there") == pytest.approx(1.0)
    assert wer("", "") == 0.0 and wer("", "extra") == 1.0
    we = word_errors("a b c", "a x")
    assert (we.errors, we.ref_words) == (2, 3)


def test_corpus_wer_weights_by_reference_length():
    pairs = [("a b c d", "a b c d"), ("e f", "e g")]
    assert corpus_wer(pairs) == pytest.approx(1 / 6)
