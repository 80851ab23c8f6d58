"""Batched log-likelihood of continuations through the :class:`~salad.core.protocols.LanguageModel`
protocol: ``embed`` -> ``hidden_states`` -> ``logits`` at continuation positions only.

A context is a list of segments, each either token ids or a ``(T, hidden_size)`` embedding
tensor, so a speech span (adapter output) can stand where text tokens would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from salad.core.errors import SaladError

if TYPE_CHECKING:
    import torch

    from salad.core.protocols import LanguageModel

Segment = Union[list[int], "torch.Tensor"]


@dataclass
class ScoreRequest:
    """Score ``continuation`` (token ids) after the concatenated ``context`` segments."""

    context: list[Segment]
    continuation: list[int]

    @property
    def context_len(self) -> int:
        return sum(len(s) if isinstance(s, list) else int(s.shape[0]) for s in self.context)

    def __len__(self) -> int:
        return self.context_len + len(self.continuation)


@dataclass(frozen=True)
class ContinuationScore:
    loglik: float  # sum of log p(token) over the continuation, nats
    greedy: bool  # every continuation token is the arg-max prediction
    n_tokens: int


def prefix_ids_of(lm: object) -> list[int]:
    """Token ids an LM wants in front of plain text (SmolLM2: ``[0]``): its
    ``score_prefix_ids`` attribute, else ``[bos_id]`` (the LM plugins' attribute), else none."""
    ids = getattr(lm, "score_prefix_ids", None)
    if ids:
        return [int(i) for i in ids]
    bos = getattr(lm, "bos_id", None)
    return [int(bos)] if bos is not None else []


class LoglikScorer:
    """Log-likelihood of continuations, batched: requests are sorted by length (longest first),
    right-padded into ``(B, T)`` with an attention mask, and vocabulary logits are computed
    only at the positions that predict continuation tokens."""

    def __init__(self, lm: LanguageModel, batch_size: int = 16, max_length: int | None = None,
                 prefix_ids: Sequence[int] | None = None):
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.lm = lm
        self.batch_size = batch_size
        self.max_length = max_length or int(getattr(lm, "max_length", 2048))
        self.prefix_ids = list(prefix_ids) if prefix_ids is not None else prefix_ids_of(lm)

    @property
    def settings_key(self) -> str:
        return f"prefix={self.prefix_ids}|max_length={self.max_length}"

    # ---- text -> token requests ----
    def split_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """Token ids of ``(context, continuation)`` pairs the way lm-eval-harness splits them:
        the continuation's ids are those of ``context + continuation`` past the context's ids
        (an empty context has no ids)."""
        contexts = [c for c, _ in pairs]
        wholes = [c + x for c, x in pairs]
        ctx_ids = self.lm.tokenize(contexts)
        whole_ids = self.lm.tokenize(wholes)
        out = []
        for (context, continuation), c_ids, w_ids in zip(pairs, ctx_ids, whole_ids, strict=True):
            c_ids, w_ids = list(c_ids), list(w_ids)
            if not context:
                c_ids = []
            if w_ids[: len(c_ids)] == c_ids and len(w_ids) > len(c_ids):
                cont = w_ids[len(c_ids):]
            else:  # merge across the boundary: tokenize the continuation alone
                cont = list(self.lm.tokenize([continuation])[0])
            if not cont:
                raise SaladError(f"empty continuation after tokenization: {continuation!r}")
            out.append((c_ids, cont))
        return out

    def text_requests(self, pairs: Sequence[tuple[str, str]]) -> list[ScoreRequest]:
        """One request per ``(context, continuation)`` pair, after the scorer's ``prefix_ids``."""
        return [ScoreRequest([self.prefix_ids + c_ids], cont)
                for c_ids, cont in self.split_pairs(pairs)]

    def _truncate(self, req: ScoreRequest) -> ScoreRequest:
        excess = len(req) - self.max_length
        if excess <= 0:
            return req
        first = req.context[0] if req.context else None
        keep = len(self.prefix_ids)
        if not isinstance(first, list) or len(first) - keep - excess < 1:
            raise SaladError(f"request of {len(req)} tokens exceeds max_length "
                             f"{self.max_length} and cannot be cut from the left")
        return ScoreRequest([first[:keep] + first[keep + excess:], *req.context[1:]],
                            req.continuation)

    # ---- scoring ----
    def score(self, requests: Sequence[ScoreRequest]) -> list[ContinuationScore]:
        """Scores in the order of ``requests``."""
        reqs = [self._truncate(r) for r in requests]
        for r in reqs:
            if r.context_len < 1:
                raise SaladError("a request needs at least one context token (set prefix_ids)")
        order = sorted(range(len(reqs)), key=lambda i: -len(reqs[i]))
        results: list[ContinuationScore | None] = [None] * len(reqs)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            for i, s in zip(idx, self._score_batch([reqs[i] for i in idx]), strict=True):
                results[i] = s
        return results  # type: ignore[return-value]

    def _embed_inputs(self, batch: Sequence[ScoreRequest], width: int):
        import torch

        device = getattr(self.lm, "device", None)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for row, r in enumerate(batch):
            mask[row, : len(r)] = 1
        if all(isinstance(s, list) for r in batch for s in r.context):
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            for row, r in enumerate(batch):
                seq = [t for s in r.context for t in s] + r.continuation
                ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            if device is not None:
                ids, mask = ids.to(device), mask.to(device)
            return self.lm.embed(ids), mask
        rows = []
        for r in batch:  # mixed text / embedding segments: embed row by row
            parts = [self._embed_ids(s, device) if isinstance(s, list) else s for s in r.context]
            parts.append(self._embed_ids(r.continuation, device))
            rows.append(torch.cat([p.to(parts[-1].dtype) for p in parts], dim=0))
        embeds = rows[0].new_zeros(len(batch), width, rows[0].shape[-1])
        for row, e in enumerate(rows):
            embeds[row, : e.shape[0]] = e
        return embeds, mask.to(embeds.device)

    def _embed_ids(self, ids: list[int], device):
        import torch

        t = torch.tensor([ids], dtype=torch.long)
        return self.lm.embed(t.to(device) if device is not None else t)[0]

    def _score_batch(self, batch: Sequence[ScoreRequest]) -> list[ContinuationScore]:
        import torch

        width = max(len(r) for r in batch)
        with torch.inference_mode():
            embeds, mask = self._embed_inputs(batch, width)
            hidden = self.lm.hidden_states(embeds, mask)
            rows, cols, targets, sizes = [], [], [], []
            for row, r in enumerate(batch):
                c, n = r.context_len, len(r.continuation)
                rows += [row] * n
                cols += range(c - 1, c + n - 1)
                targets += r.continuation
                sizes.append(n)
            rows_t = torch.tensor(rows, device=hidden.device)
            cols_t = torch.tensor(cols, device=hidden.device)
            logits = self.lm.logits(hidden[rows_t, cols_t]).float()
            logp = torch.log_softmax(logits, dim=-1)
            tgt = torch.tensor(targets, device=logp.device)
            token_lp = logp.gather(1, tgt[:, None])[:, 0]
            hit = logits.argmax(dim=-1) == tgt
        out, start = [], 0
        for n in sizes:
            out.append(ContinuationScore(float(token_lp[start:start + n].sum()),
                                         bool(hit[start:start + n].all()), n))
            start += n
        return out
