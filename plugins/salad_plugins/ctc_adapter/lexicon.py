"""Spelling correction of the CTC head's words against a word list with counts.

A head trained on a few hours of speech spells many words phonetically ("stil", "ender
stand"); the LM reads such pieces poorly. Each word the lexicon does not know is replaced by
the known word at the smallest edit distance (at most a third of its length), the more
frequent one on ties; words without such a neighbour stay as spelled.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from salad.core.errors import SaladError


class Lexicon:
    def __init__(self, counts: Counter):
        if not counts:
            raise SaladError("the CTC adapter's lexicon has no words")
        self.counts = counts
        self.words = list(counts)
        self._memo: dict[str, str] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Lexicon:
        """Word counts of normalized ``texts``."""
        counts: Counter = Counter()
        for text in texts:
            counts.update(text.split())
        return cls(counts)

    def correct(self, word: str) -> str:
        if word in self.counts:
            return word
        if word not in self._memo:
            near = process.extract(word, self.words, scorer=Levenshtein.distance, limit=10,
                                   score_cutoff=max(1, len(word) // 3))
            self._memo[word] = min(near, key=lambda m: (m[1], -math.log(self.counts[m[0]])))[
                0] if near else word
        return self._memo[word]
