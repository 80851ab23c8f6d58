"""Word (and character) error rate: Levenshtein distance (``kaldialign``, Kaldi's alignment)
over words normalised as in Whisper's evaluation (over the characters of the normalised words,
joined by single spaces, for CER).

Normalisation is Whisper's English text normaliser (the one published ASR results use, from the
``whisper-normalizer`` package of the ``asr`` extra): lower case; the fillers hmm/mm/uh/um
dropped; contractions expanded (``you're`` -> ``you are``, ``can't`` -> ``can not``); spelled
numbers and currencies as digits (``twenty-one`` -> ``21``, ``1,000`` -> ``1000``); British
spellings as American; punctuation and symbols dropped, hyphens splitting words. A transcript
that differs from its reference only in such conventions has no errors.

Two adaptations for references that are read aloud (TTS or a speaker reading a text): text in
brackets or parentheses is spoken, so the brackets go but their content stays (Whisper's
normaliser drops it as a transcriber's aside); and what is left of punctuation, such as the
period an ellipsis leaves behind, is not a word. Curly quotes and dashes count as plain ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from salad.core.errors import SaladError

_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "(": " ", ")": " ", "[": " ", "]": " ",
                        "<": " ", ">": " "})
_WORD = re.compile(r"\w")


@cache
def _english_normalizer() -> Callable[[str], str]:
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError as exc:
        raise SaladError("word error rates need whisper-normalizer: "
                         "pip install 'salad-speech[asr]'") from exc
    return EnglishTextNormalizer()


@cache
def _kaldi_edit_distance() -> Callable[[Sequence[str], Sequence[str]], dict]:
    try:
        from kaldialign import edit_distance as kaldi_edit_distance
    except ImportError as exc:
        raise SaladError("word error rates need kaldialign: "
                         "pip install 'salad-speech[asr]'") from exc
    return kaldi_edit_distance


def normalize_words(text: str) -> list[str]:
    """The words of ``text`` after Whisper's English normalisation (see module docstring)."""
    words = _english_normalizer()(text.translate(_PLAIN)).split()
    return [w for w in words if _WORD.search(w)]


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Minimum substitutions + deletions + insertions turning ``ref`` into ``hyp``."""
    return int(_kaldi_edit_distance()(list(ref), list(hyp))["total"])


@dataclass(frozen=True)
class WordErrors:
    errors: int
    ref_words: int

    @property
    def wer(self) -> float:
        """Errors per reference word; an empty reference gives 0.0 (or 1.0 with a hypothesis)."""
        if self.ref_words == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.ref_words


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    return WordErrors(edit_distance(ref, hyp), len(ref))


def character_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """``(errors, reference characters)`` over the normalised words joined by single spaces."""
    ref, hyp = (" ".join(normalize_words(t)) for t in (reference, hypothesis))
    return edit_distance(ref, hyp), len(ref)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one utterance (can exceed 1.0 with many insertions)."""
    return word_errors(reference, hypothesis).wer


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Total errors over total reference words for ``(reference, hypothesis)`` pairs."""
    errors = words = 0
    for ref, hyp in pairs:
        we = word_errors(ref, hyp)
        errors += we.errors
        words += we.ref_words
    return errors / words if words else 0.0
