"""Did-you-mean suggestions for names typed by users."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    candidates = list(candidates)
    hits = difflib.get_close_matches(word, candidates, n=n, cutoff=0.6)
    if not hits:
        # Registry names share long prefixes ("salad."), so also compare the distinctive part.
        stem = word.split(".")[-2] if word.count(".") >= 2 else word
        by_stem = {c: c.split(".")[-2] if c.count(".") >= 2 else c for c in candidates}
        hits = [c for c in candidates if by_stem[c] in difflib.get_close_matches(
            stem, list(by_stem.values()), n=n, cutoff=0.6)]
    return hits[:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    hits = close_matches(word, candidates)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(repr(h) for h in hits) + "?"
