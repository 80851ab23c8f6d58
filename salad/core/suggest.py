"""Did-you-mean suggestions for names typed by users."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_VERSIONED = re.compile(r"^(?:[a-z0-9_]+\.)?(?P<stem>.+?)(?:\.v\d+)?$")


def _stem(name: str) -> str:
    """``salad.piper_tts.v1`` -> ``piper_tts``: registry names share prefix and suffix, so
    similarity is judged on the distinctive middle part."""
    m = _VERSIONED.match(name)
    return m.group("stem") if m else name


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    candidates = list(dict.fromkeys(candidates))
    exact_stem = [c for c in candidates if _stem(c) == _stem(word)]
    if exact_stem:
        return exact_stem[:n]
    stems: dict[str, list[str]] = {}
    for c in candidates:
        stems.setdefault(_stem(c), []).append(c)
    hits = [c for s in difflib.get_close_matches(_stem(word), list(stems), n=n, cutoff=0.6)
            for c in stems[s]]
    if len(_stem(word)) >= 3:  # a prefix of a longer name: 'ked' -> 'ked_diphone'
        hits += [c for c in candidates if _stem(c).startswith(_stem(word))]
    return list(dict.fromkeys(hits))[:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    hits = close_matches(word, candidates)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(repr(h) for h in hits) + "?"
