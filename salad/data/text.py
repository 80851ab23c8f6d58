"""Shared text processing for corpus sources: cleaning, sentence splitting, length filters and
de-duplication.

Corpus plugins yield raw :class:`~salad.core.items.TextRecord` objects and pass them through
:func:`process_records` with the :class:`TextFilterConfig` from their own config, so every
source exposes the same filters. Domain labels are kept on every record (a split sentence keeps
the labels of its paragraph).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.items import TextRecord

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2026": "...", "\u00a0": " ",
})
_SPACE_RE = re.compile(r"\s+")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt", "vs", "etc", "e.g", "i.e", "no",
    "fig", "gen", "col", "lt", "sgt", "capt", "rev", "gov", "sen", "rep", "inc", "ltd", "co",
    "a.m", "p.m", "u.s", "approx", "cf", "esp", "viz",
}
# A candidate boundary: sentence punctuation, optional closing quotes/brackets, then space.
_BOUNDARY_RE = re.compile(r"([.!?]+)([\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_NORM_RE = re.compile(r"[^\w\s]")


class TextFilterConfig(BaseModel):
    """Cleaning, splitting, length and de-duplication settings shared by all corpus sources."""

    model_config = ConfigDict(extra="forbid")
    split_sentences: bool = Field(True, description="Split paragraphs into sentences")
    min_words: int = Field(3, ge=0, description="Drop texts with fewer words")
    max_words: int = Field(40, ge=1, description="Drop texts with more words")
    min_chars: int = Field(10, ge=0, description="Drop texts with fewer characters")
    max_chars: int = Field(300, ge=1, description="Drop texts with more characters")
    require_ascii_letters: bool = Field(
        True, description="Drop texts that are not mostly Latin letters (TTS voices are English)")
    dedupe: bool = Field(True, description="Drop repeats of a normalised text (case, punctuation)")

    @model_validator(mode="after")
    def _ranges(self) -> TextFilterConfig:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) > max_words ({self.max_words})")
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) > max_chars ({self.max_chars})")
        return self


def clean_text(text: str) -> str:
    """Normalise unicode (NFKC), map typographic quotes and dashes to ASCII, drop control and
    format characters, and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).replace("''", '"')
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return _SPACE_RE.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split cleaned text into sentences at ``.``, ``!`` or ``?`` followed by a capital, digit or
    quote, keeping common abbreviations (Mr., e.g., ...) and initials together."""
    out, start = [], 0
    for m in _BOUNDARY_RE.finditer(text):
        before = text[start:m.start()].rsplit(" ", 1)[-1].lower().rstrip(".")
        if m.group(1) == "." and (before in _ABBREVIATIONS or len(before) == 1):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def as_sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop unless punctuation ends it."""
    text = text.strip().strip(";").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?\"'" else text + "."


def split_half(text: str) -> tuple[str, str]:
    """``(first half, second half)`` of a text's words: the held-out halves whose first half
    is spoken and whose second half is scored as text."""
    words = text.split()
    k = len(words) // 2
    return " ".join(words[:k]), " ".join(words[k:])


HALF_SUFFIX = "#h1"  # id of a spoken first half: "<text id>#h1"


def halvable(text: str, words: tuple[int, int]) -> bool:
    """Whether a text has a word count in ``words`` (inclusive), the texts that are halved."""
    return words[0] <= len(text.split()) <= words[1]


def first_halves(records: Iterable[TextRecord], limit: int | None,
                 words: tuple[int, int]) -> list[TextRecord]:
    """First halves (to be spoken; id ``<id>#h1``) of up to ``limit`` (None: all) of the
    ``records`` with ``words`` words; the second halves are recovered from the full texts by
    :func:`split_half`."""
    out = []
    for r in records:
        if limit is not None and len(out) >= limit:
            break
        if halvable(r.text, words):
            out.append(replace(r, id=r.id + HALF_SUFFIX, text=split_half(r.text)[0]))
    return out


def normalized_key(text: str) -> str:
    """Hash of the text with case, punctuation and spacing removed (for de-duplication)."""
    norm = _SPACE_RE.sub(" ", _NORM_RE.sub(" ", text.lower())).strip()
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=12).hexdigest()


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    return sum(c.isascii() for c in letters) >= 0.9 * len(letters)


def length_problem(text: str, cfg: TextFilterConfig) -> str | None:
    """The reason ``text`` fails the length/alphabet filters, or ``None`` when it passes."""
    words = len(text.split())
    if words < cfg.min_words:
        return "too_few_words"
    if words > cfg.max_words:
        return "too_many_words"
    if len(text) < cfg.min_chars:
        return "too_short"
    if len(text) > cfg.max_chars:
        return "too_long"
    if cfg.require_ascii_letters and not _mostly_latin(text):
        return "not_latin"
    return None


class TextStats(Counter):
    """Counts of kept texts and of texts dropped per reason."""

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.items()))


def process_records(
    records: Iterable[TextRecord],
    cfg: TextFilterConfig,
    stats: TextStats | None = None,
    limit: int | None = None,
) -> Iterator[TextRecord]:
    """Clean, split, filter and de-duplicate records, stopping after ``limit`` kept texts.
    Split sentences get ids ``<id>.s<n>`` (only when a record yields more than one sentence);
    domain labels are kept."""
    stats = TextStats() if stats is None else stats
    seen: set[str] = set()
    for rec in records:
        if limit is not None and stats["kept"] >= limit:
            return
        stats["input"] += 1
        text = clean_text(rec.text)
        parts = split_sentences(text) if cfg.split_sentences else [text]
        for n, part in enumerate(parts):
            reason = length_problem(part, cfg)
            if reason:
                stats[reason] += 1
                continue
            if cfg.dedupe:
                key = normalized_key(part)
                if key in seen:
                    stats["duplicate"] += 1
                    continue
                seen.add(key)
            if limit is not None and stats["kept"] >= limit:
                return
            stats["kept"] += 1
            rid = rec.id if len(parts) == 1 else f"{rec.id}.s{n}"
            yield TextRecord(id=rid, text=part, source=rec.source, domains=rec.domains)
