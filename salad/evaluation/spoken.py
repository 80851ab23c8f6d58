"""Which part of a benchmark context is spoken.

A spoken benchmark keeps prompt scaffolding as text and speaks the content: a leading
``Question:`` label and a trailing ``Answer:`` cue stay text, everything between them is what
the TTS voice says (whitespace collapsed). Options always stay text. Items may override the
spoken text with ``meta["spoken"]`` (shared-context items only).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from salad.core.items import BenchmarkItem

from .prompts import option_texts

_LABEL = re.compile(r"^\s*(?:Question|Q)\s*:\s*", re.IGNORECASE)
_CLOSING = re.compile(r"[\s.!?,;:\u2026]+$")
_CUE = re.compile(r"\s*(?:\n\s*)?(?:Answer|A)\s*:\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SpokenContext:
    """``before`` (text) + ``spoken`` (speech) + ``after`` (text) reassembles the context."""

    before: str
    spoken: str
    after: str

    @property
    def key(self) -> str:
        """Content id of the spoken text (audio is shared by every item that says it)."""
        return hashlib.sha256(self.spoken.encode("utf-8")).hexdigest()[:24]

    def with_text(self, text: str) -> str:
        """The context with the spoken part replaced by ``text`` (e.g. an ASR transcript).

        A transcript closes every utterance with punctuation; where the spoken text stops
        mid-sentence (LAMBADA's passage stops before its last word), that closing punctuation
        is dropped, so the continuation follows the words as it follows the text."""
        text = text.strip()
        if self.spoken and self.spoken[-1].isalnum():
            text = _CLOSING.sub("", text)
        return f"{self.before}{text}{self.after}"


def split_context(context: str) -> SpokenContext:
    label = _LABEL.match(context)
    before = context[: label.end()] if label else ""
    rest = context[len(before):]
    cue = _CUE.search(rest)
    after = rest[cue.start():] if cue else ""
    middle = rest[: cue.start()] if cue else rest
    return SpokenContext(before, " ".join(middle.split()), after)


def spoken_parts(item: BenchmarkItem) -> list[SpokenContext]:
    """One spoken context per option of ``item`` (the same one repeated when shared)."""
    spoken = item.meta.get("spoken") if item.contexts is None else None
    parts = []
    for context, _ in option_texts(item):
        part = split_context(context)
        if spoken:
            part = SpokenContext(part.before, " ".join(str(spoken).split()), part.after)
        parts.append(part)
    return parts


def speech_problem(item: BenchmarkItem) -> str | None:
    """Why ``item`` cannot be asked in speech (None when it can)."""
    if any(not p.spoken for p in spoken_parts(item)):
        return "nothing to speak (empty context)"
    return None
