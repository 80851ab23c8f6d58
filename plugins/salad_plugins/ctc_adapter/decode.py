"""CTC prefix beam search with a character n-gram language model (shallow fusion).

The head's greedy path spells phonetically; a character LM trained on text steers the beam
towards spellings that text uses. Scores are natural logs: acoustic log-probability plus
``weight`` times the LM's log-probability of each emitted character, plus ``bonus`` per
character (it offsets the LM's bias towards short outputs).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

import torch

from .head import Alphabet, Spelling

_NEG = -math.inf


def _logadd(a: float, b: float) -> float:
    if a == _NEG:
        return b
    if b == _NEG:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def count_grams(texts: Iterable[str], order: int) -> dict[str, dict[str, int]]:
    """Counts of every character n-gram (n <= ``order``) of ``texts``, as ``{history: {next
    character: count}}``; a text starts after a space, so the first word is counted like any
    other."""
    grams: Counter = Counter()  # every n-gram (n <= order) ending after the first space
    for text in texts:
        padded = " " + text + " "
        grams.update(padded[i:i + n] for n in range(1, order + 1)
                     for i in range(1 if n == 1 else 0, len(padded) - n + 1))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for gram, count in grams.items():
        counts[gram[:-1]][gram[-1]] = count
    return dict(counts)


class CharNgram:
    """Interpolated Witten-Bell character n-gram model over the alphabet's characters, from the
    counts of :func:`count_grams`."""

    def __init__(self, counts: dict[str, dict[str, int]], order: int, symbols: str):
        self.order = order
        self.symbols = symbols
        self.counts = counts
        self.totals = {h: (sum(c.values()), len(c)) for h, c in counts.items()}
        self._memo: dict[tuple[str, str], float] = {}

    def _prob(self, history: str, char: str) -> float:
        lower = (self._prob(history[1:], char) if history
                 else 1.0 / len(self.symbols))
        seen = self.totals.get(history)
        if seen is None:
            return lower
        total, types = seen
        return (self.counts[history].get(char, 0) + types * lower) / (total + types)

    def logprob(self, history: str, char: str) -> float:
        key = (history[-(self.order - 1):] if self.order > 1 else "", char)
        if key not in self._memo:
            self._memo[key] = math.log(self._prob(*key))
        return self._memo[key]


def beam_spellings(logp: torch.Tensor, alphabet: Alphabet, lm: CharNgram | None, width: int,
                   weight: float, bonus: float, prune: float = -8.0
                   ) -> list[tuple[Spelling, float]]:
    """Spellings of one item's ``(T, classes)`` log-probabilities by CTC prefix beam search:
    the final beam's prefixes with their scores (acoustic + LM + bonus), best first.
    Characters below ``prune`` (log-probability) at a step are not tried."""
    rows = logp.tolist()
    beams: dict[str, tuple[float, float]] = {"": (0.0, _NEG)}  # (ends in blank, in a char)
    extra: dict[str, float] = {"": 0.0}  # LM + bonus score of each prefix
    steps: dict[str, tuple[int, ...]] = {"": ()}

    def grow(prefix: str, ch: str, t: int) -> str:
        grown = prefix + ch
        if grown not in extra:
            lm_score = weight * lm.logprob(" " + prefix, ch) if lm is not None else 0.0
            extra[grown] = extra[prefix] + bonus + lm_score
            steps[grown] = steps[prefix] + (t,)
        return grown

    for t, row in enumerate(rows):
        cands = [k for k in range(1, len(row)) if row[k] > prune]
        blank: dict[str, float] = defaultdict(lambda: _NEG)
        char: dict[str, float] = defaultdict(lambda: _NEG)
        for prefix, (pb, pnb) in beams.items():
            total = _logadd(pb, pnb)
            blank[prefix] = _logadd(blank[prefix], total + row[0])
            last = prefix[-1:]
            for k in cands:
                ch = alphabet.chars[k - 1]
                if ch == last:
                    char[prefix] = _logadd(char[prefix], pnb + row[k])  # a repeat collapses
                    new_p = pb + row[k]                                 # after a blank: new
                else:
                    new_p = total + row[k]
                if ch == " " and (not prefix or last == " "):
                    continue  # no leading or double spaces
                grown = grow(prefix, ch, t)
                char[grown] = _logadd(char[grown], new_p)
        scored = {p: (blank[p], char[p]) for p in set(blank) | set(char)}
        beams = dict(sorted(scored.items(), key=lambda kv: _logadd(*kv[1]) + extra[kv[0]],
                            reverse=True)[:width])
    scores = {p: _logadd(*beams[p]) + extra[p] for p in beams}
    ranked = sorted(beams, key=scores.__getitem__, reverse=True)
    return [(Spelling(p, list(steps[p])), scores[p]) for p in ranked]
