"""Multiple-choice evaluation by log-likelihood: few-shot prompts, batched scoring, cached
per-item scores, raw and length-normalised accuracy.

Accuracy definitions (as in lm-evaluation-harness):

* ``acc``: the option with the highest summed log-likelihood of its continuation is chosen.
* ``acc_norm``: the log-likelihood is divided by the option's length in characters (the choice
  string without the leading delimiter) before the arg-max (lm-eval ``acc_norm``).
* Items with a single option and no per-option contexts (LAMBADA) are right when every
  continuation token is the greedy prediction; ``acc_norm`` equals ``acc`` for them.
* Winogrande-style items (per-option contexts, one shared continuation): normalising by the
  same length changes nothing, so ``acc_norm`` equals ``acc``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from salad.core.items import BenchmarkItem

from .cache import ScoreCache, cache_key
from .loglik import ContinuationScore, LoglikScorer, ScoreRequest
from .prompts import PromptFormat, build_requests, item_problem, select_shots


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    gold: int
    loglik: tuple[float, ...]
    n_chars: tuple[int, ...]
    greedy: tuple[bool, ...]
    n_tokens: tuple[int, ...]

    @property
    def pred(self) -> int:
        return max(range(len(self.loglik)), key=lambda i: self.loglik[i])

    @property
    def pred_norm(self) -> int:
        return max(range(len(self.loglik)), key=lambda i: self.loglik[i] / max(self.n_chars[i], 1))

    @property
    def correct(self) -> bool:
        if len(self.loglik) == 1:
            return all(self.greedy)
        return self.pred == self.gold

    @property
    def correct_norm(self) -> bool:
        if len(self.loglik) == 1:
            return all(self.greedy)
        return self.pred_norm == self.gold

    def to_json(self) -> dict:
        return {"item": self.item_id, "gold": self.gold, "loglik": list(self.loglik),
                "n_chars": list(self.n_chars), "greedy": list(self.greedy),
                "n_tokens": list(self.n_tokens)}

    @classmethod
    def from_json(cls, d: dict) -> ItemScore:
        return cls(d["item"], d["gold"], tuple(d["loglik"]), tuple(d["n_chars"]),
                   tuple(d["greedy"]), tuple(d["n_tokens"]))


@dataclass
class BenchmarkResult:
    benchmark: str
    shots: int
    seed: int
    scores: list[ItemScore] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # item id -> reason
    cached: int = 0

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def acc(self) -> float:
        return sum(s.correct for s in self.scores) / self.n if self.n else float("nan")

    @property
    def acc_norm(self) -> float:
        return sum(s.correct_norm for s in self.scores) / self.n if self.n else float("nan")

    def summary(self) -> dict:
        return {"benchmark": self.benchmark, "shots": self.shots, "seed": self.seed,
                "n": self.n, "acc": self.acc, "acc_norm": self.acc_norm,
                "skipped": len(self.skipped), "cached": self.cached}


class TextContexts:
    """Builds the scorer requests of an item with its context as text. A speech mode supplies
    another builder with the same ``key`` / ``item_key`` / ``requests`` methods whose contexts hold
    embedding segments (see :class:`~salad.evaluation.loglik.ScoreRequest`)."""

    def __init__(self, fmt: PromptFormat | None = None):
        self.fmt = fmt or PromptFormat()

    @property
    def key(self) -> str:
        return self.fmt.key

    def item_key(self, item: BenchmarkItem) -> str:
        """What else identifies an item's input in cache keys (text: nothing more)."""
        return ""

    def requests(self, scorer: LoglikScorer, items: Sequence[BenchmarkItem],
                 shots: Sequence[Sequence[BenchmarkItem]]) -> list[list[ScoreRequest]]:
        texts = [build_requests(item, s, self.fmt) for item, s in zip(items, shots, strict=True)]
        flat = scorer.text_requests([(t.context, t.continuation) for ts in texts for t in ts])
        out, start = [], 0
        for ts in texts:
            out.append(flat[start:start + len(ts)])
            start += len(ts)
        return out


def choice_chars(item: BenchmarkItem) -> tuple[int, ...]:
    n = len(item.contexts) if item.contexts is not None else len(item.choices)
    return tuple(len(item.choices[0 if item.contexts is not None else i]) for i in range(n))


def evaluate(scorer: LoglikScorer, items: Sequence[BenchmarkItem], *, model_id: str,
             shots: int = 0, seed: int = 0, pool: Sequence[BenchmarkItem] | None = None,
             contexts: TextContexts | None = None, cache: ScoreCache | None = None,
             chunk_items: int = 64,
             progress: Callable[[int, int], None] | None = None) -> BenchmarkResult:
    """Score ``items`` with ``shots`` examples drawn (seeded per item) from ``pool`` (default:
    ``items``). Results already in ``cache`` are reused; new ones are appended after each chunk
    of ``chunk_items`` items, so an interrupted run resumes where it stopped. ``model_id`` must
    identify the weights and precision (it keys the cache)."""
    contexts = contexts or TextContexts()
    pool = list(items) if pool is None else list(pool)
    bench = items[0].benchmark if items else ""
    result = BenchmarkResult(bench, shots, seed)
    base = {"model": model_id, "benchmark": bench, "shots": shots, "seed": seed,
            "format": contexts.key, "scorer": scorer.settings_key}
    done: dict[str, ItemScore] = {}
    todo: list[tuple[BenchmarkItem, str, list[BenchmarkItem]]] = []
    for item in items:
        problem = item_problem(item)
        if problem is None:
            try:
                shot_items = select_shots(item, pool, shots, seed)
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            result.skipped[item.id] = problem
            continue
        extra = contexts.item_key(item)
        key = cache_key(**base, item=item.id,
                        shot_ids=[s.id for s in shot_items], text=[item.context, *item.choices,
                                                                  *(item.contexts or ())],
                        **({"input": extra} if extra else {}))
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            done[item.id] = ItemScore.from_json(hit)
            result.cached += 1
        else:
            todo.append((item, key, shot_items))
    for start in range(0, len(todo), chunk_items):
        chunk = todo[start:start + chunk_items]
        per_item = contexts.requests(scorer, [c[0] for c in chunk], [c[2] for c in chunk])
        flat = scorer.score([r for reqs in per_item for r in reqs])
        entries, pos = [], 0
        for (item, key, _), reqs in zip(chunk, per_item, strict=True):
            got: list[ContinuationScore] = flat[pos:pos + len(reqs)]
            pos += len(reqs)
            score = ItemScore(item.id, item.gold, tuple(g.loglik for g in got),
                              choice_chars(item), tuple(g.greedy for g in got),
                              tuple(g.n_tokens for g in got))
            done[item.id] = score
            entries.append({"key": key, **base, **score.to_json()})
        if cache is not None:
            cache.put_many(entries)
        if progress:
            progress(min(start + chunk_items, len(todo)), len(todo))
    result.scores = [done[i.id] for i in items if i.id in done]
    return result
