"""Few-shot prompt construction for log-likelihood scoring (text only, no heavy imports).

Every item becomes one request per option: ``(context, continuation)`` where the continuation is
``target_delimiter + choice``. Shots are other items of the same benchmark rendered with their
gold answer and joined by ``shot_separator`` in front of the item's own context.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from salad.core.items import BenchmarkItem

MAX_SHOTS = 5


@dataclass(frozen=True)
class PromptFormat:
    """How contexts and options are joined. ``key`` names it in score-cache keys."""

    target_delimiter: str = " "
    shot_separator: str = "\n\n"
    name: str = "text-v1"

    @property
    def key(self) -> str:
        return f"{self.name}|{self.target_delimiter!r}|{self.shot_separator!r}"


@dataclass(frozen=True)
class TextRequest:
    context: str
    continuation: str


def item_problem(item: BenchmarkItem) -> str | None:
    """Why ``item`` cannot be scored (None when it can)."""
    if not item.choices:
        return "no choices"
    if item.contexts is not None:
        if len(item.choices) != 1:
            return "per-option contexts need exactly one shared continuation"
        n = len(item.contexts)
    else:
        n = len(item.choices)
    if not 0 <= item.gold < n:
        return f"gold {item.gold} out of range for {n} options"
    return None


def n_options(item: BenchmarkItem) -> int:
    return len(item.contexts) if item.contexts is not None else len(item.choices)


def option_texts(item: BenchmarkItem) -> list[tuple[str, str]]:
    """``(context, choice)`` per option, before any shots and delimiter."""
    if item.contexts is not None:
        return [(ctx, item.choices[0]) for ctx in item.contexts]
    return [(item.context, choice) for choice in item.choices]


def render_shot(item: BenchmarkItem, fmt: PromptFormat) -> str:
    """An item with its gold answer, as it appears inside a few-shot prompt."""
    context, choice = option_texts(item)[item.gold]
    return f"{context}{fmt.target_delimiter}{choice}" if context else choice


def _rng(seed: int, item_id: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\0{item_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def select_shots(item: BenchmarkItem, pool: Sequence[BenchmarkItem], shots: int,
                 seed: int) -> list[BenchmarkItem]:
    """``shots`` items drawn from ``pool`` without the item itself (nor items whose text equals
    it). The draw depends only on ``seed`` and the item id, never on which other items are
    scored, so subsets and reruns see the same prompts."""
    if not 0 <= shots <= MAX_SHOTS:
        raise ValueError(f"shots must be in [0, {MAX_SHOTS}], got {shots}")
    if shots == 0:
        return []
    own = option_texts(item)
    candidates = [c for c in pool
                  if c.id != item.id and option_texts(c) != own and item_problem(c) is None]
    if len(candidates) < shots:
        raise ValueError(f"{item.benchmark}: {shots} shots requested but the pool has only "
                         f"{len(candidates)} other items")
    return _rng(seed, item.id).sample(candidates, shots)


def build_requests(item: BenchmarkItem, shot_items: Sequence[BenchmarkItem],
                   fmt: PromptFormat | None = None) -> list[TextRequest]:
    """One request per option of ``item``, with the shots in front of its context."""
    fmt = fmt or PromptFormat()
    prefix = "".join(render_shot(s, fmt) + fmt.shot_separator for s in shot_items)
    return [TextRequest(prefix + context, fmt.target_delimiter + choice)
            for context, choice in option_texts(item)]
