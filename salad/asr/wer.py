"""Word error rate: Levenshtein distance over normalised words.

Normalisation lower-cases, maps curly quotes/dashes to plain ones, keeps word-internal
apostrophes (``don't``) and hyphens split words (``well-known`` -> ``well known``); every other
punctuation mark is dropped. Numbers are left as written (``3`` and ``three`` differ).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-"})
_PUNCT = re.compile(r"[^\w\s']|_")
_EDGE_APOSTROPHES = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize_words(text: str) -> list[str]:
    """Lower-cased words without punctuation (see module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = _PUNCT.sub(" ", text)
    text = _EDGE_APOSTROPHES.sub(" ", text)
    return text.split()


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Minimum substitutions + deletions + insertions turning ``ref`` into ``hyp``."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


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
