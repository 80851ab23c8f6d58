"""Does the student read? Held-out halves with content controls (DESIGN.md §4).

A held-out text is cut in two: its first half is spoken (in voices training never hears), its
second half is scored as text. The same second-half positions are scored after

- ``matched``: the spoken first half;
- ``mismatched``: the spoken first half of another item of similar length in the same voice;
- ``none``: no prefix at all;
- ``text``: the first half as text;
- ``text_mismatched``: the mismatched item's first half as text (what a perfect reader of the
  wrong speech would get: the floor of ``share_mismatched`` once the student reads).

From the mean negative log-likelihoods (nats per token): the content gain
``NLL_mismatched - NLL_matched`` and the information share
``(NLL_none - NLL_X) / (NLL_none - NLL_text)`` of matched and mismatched speech (1: reads as well
as text, 0: as well as nothing). Misalignment M is ``KL(P(. | text) || P(. | speech))`` of the
student against itself at those positions (also for mismatched speech, as a control), and
forgetting F is ``KL(Q_teacher(. | text) || P(. | text))`` at every position of the whole text.
A content-free prompt raises the mismatched share as much as the matched one; reading raises
only the matched one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..core.errors import SaladError
from ..core.items import TextRecord
from ..core.launch import World
from ..data.manifests import read_speech_manifest, read_text_manifest
from ..data.shards import share
from ..data.text import HALF_SUFFIX, split_half
from ..speech.interleave import Segment, build_layout, collate
from ..speech.model import SpeechLM, teacher_logits
from .data import FeatureLookup, Utterance, pad_frames

CONDITIONS = ("matched", "mismatched", "none", "text", "text_mismatched")


@dataclass(frozen=True)
class HalfItem:
    id: str        # utterance id of the spoken first half (the feature lookup's key)
    text_id: str   # the held-out text it halves
    voice: str
    first: str
    rest: str
    frames: int    # encoder frames of the spoken first half


@dataclass
class HalvesSet:
    """One held-out set of halves and, per item, the item whose speech is its mismatch."""

    name: str
    items: list[HalfItem]
    mismatch: list[int]


def mismatch_pairs(items: Sequence[HalfItem]) -> list[int]:
    """Per item, the item of another text in the same voice with the nearest frame count."""
    out = []
    for it in items:
        best, dist = -1, None
        for j, other in enumerate(items):
            if other.text_id == it.text_id or other.voice != it.voice:
                continue
            d = abs(other.frames - it.frames)
            if dist is None or d < dist:
                best, dist = j, d
        if best < 0:
            raise SaladError(f"held-out halves: no other item in voice {it.voice!r} to "
                             f"mismatch {it.id!r} with; speak more texts in that voice")
        out.append(best)
    return out


def load_halves(name: str, speech_manifest: str | Path, texts_manifest: str | Path,
                frame_lengths: dict[str, int], limit: int | None = None) -> HalvesSet:
    """Halves whose spoken first halves are in ``speech_manifest`` (``text_id`` names the
    halved text of ``texts_manifest``) and have encoder frames."""
    full = {r.id: r.text for r in read_text_manifest(texts_manifest) if isinstance(r, TextRecord)}
    items = []  # in id order: the manifest's row order (synthesis: as workers finish) is not kept
    for rec in sorted(read_speech_manifest(speech_manifest).records, key=lambda r: r.id):
        source = full.get(rec.text_id.removesuffix(HALF_SUFFIX))
        if source is None or rec.id not in frame_lengths:
            continue
        first, rest = split_half(source)
        if not rest:
            continue
        items.append(HalfItem(rec.id, rec.text_id, rec.speaker or rec.voice, first, rest,
                              frame_lengths[rec.id]))
    items = items[:limit] if limit else items
    if len(items) < 2:
        raise SaladError(f"{speech_manifest}: fewer than two usable held-out halves")
    return HalvesSet(name, items, mismatch_pairs(items))


def halves_windows(halves: HalvesSet, mismatched: float = 0.0) -> list[list[Utterance]]:
    """Training windows of halves: the spoken first half, then the second half as text
    (Stage I's :func:`~salad.training.data.assign_modalities` speaks the first, never the last).

    With ``mismatched`` > 0 that share of the items (evenly spread) also enters after the
    spoken first half of its mismatch (:func:`mismatch_pairs`), another text's. The teacher
    reads that other first half as text, so distillation shows the student continuations that
    do not follow from what was said: a content-free prompt cannot fit both kinds."""
    def window(first: HalfItem, it: HalfItem) -> list[Utterance]:
        return [Utterance(first.id, first.first, halves.name),
                Utterance(it.text_id.removesuffix(HALF_SUFFIX) + "#h2", it.rest, halves.name)]

    crossed = [window(halves.items[halves.mismatch[i]], it) for i, it in enumerate(halves.items)
               if int((i + 1) * mismatched) > int(i * mismatched)]
    return [window(it, it) for it in halves.items] + crossed


class _Scored:
    """Sums over positions: NLL per condition, M and F."""

    def __init__(self):
        self.sums = {k: 0.0 for k in (*CONDITIONS, "m", "m_mismatched", "f")}
        self.positions = 0
        self.f_positions = 0

    def summary(self) -> dict[str, float]:
        n = max(self.positions, 1)
        nll = {k: self.sums[k] / n for k in CONDITIONS}
        span = nll["none"] - nll["text"]

        def share(key: str) -> float:
            return (nll["none"] - nll[key]) / span if span > 0 else float("nan")

        return {**{f"nll_{k}": v for k, v in nll.items()},
                "misalignment": self.sums["m"] / n,
                "misalignment_mismatched": self.sums["m_mismatched"] / n,
                "forgetting": self.sums["f"] / max(self.f_positions, 1),
                "content_gain": nll["mismatched"] - nll["matched"],
                "share_matched": share("matched"), "share_mismatched": share("mismatched"),
                "share_text_mismatched": share("text_mismatched"),
                "positions": self.positions}


def _tail(batch, counts: Sequence[int]) -> torch.Tensor:
    """Mask of the last ``counts[b]`` scored positions of each example of ``batch``."""
    ex = batch.example_index
    total = torch.bincount(ex, minlength=len(counts))
    rank = torch.arange(ex.numel()) - torch.cumsum(total, 0)[ex] + total[ex]
    return rank >= total[ex] - torch.tensor(counts)[ex]


def _item_sums(values: dict[str, torch.Tensor], example: torch.Tensor, n: int) -> list[dict]:
    """Per example of a batch: its position count and the sum of each per-position value."""
    example = example.to(next(iter(values.values())).device)
    counts = torch.bincount(example, minlength=n).tolist()
    sums = {k: torch.zeros(n, dtype=torch.float64, device=v.device).index_add_(
        0, example, v.double()).tolist() for k, v in values.items()}
    return [{"positions": counts[b], **{k: sums[k][b] for k in sums}} for b in range(n)]


def pooled(items: Sequence[dict]) -> dict[str, float]:
    """The reading metrics (M, content gain, information shares) pooled over ``items`` of
    :func:`reading_metrics`' ``per_item`` (F is not kept per item)."""
    acc = _Scored()
    for item in items:
        acc.positions += item["positions"]
        for key in (*CONDITIONS, "m", "m_mismatched"):
            acc.sums[key] += item[f"nll_{key}" if key in CONDITIONS else key]
    out = acc.summary()
    del out["forgetting"]
    return out


def length_order(halves: HalvesSet) -> list[int]:
    """Item indices by the length of their text (longest first), so that a batch pads little:
    every condition's layout is about as long as the item's first half plus its rest (a
    mismatch is an item of similar length)."""
    return sorted(range(len(halves.items)),
                  key=lambda i: -(len(halves.items[i].first) + len(halves.items[i].rest)))


@torch.no_grad()
def reading_metrics(model: SpeechLM, teacher, scorer, halves: HalvesSet,
                    features: FeatureLookup, batch_size: int = 16,
                    per_item: list[dict] | None = None, world: World | None = None,
                    together: bool = False) -> dict[str, float]:
    """The reading metrics of one halves set (see the module docstring); ``scorer`` (a
    misalignment scorer) gives M and F per position. ``per_item``: a list that receives, per
    item in order, its scored ``positions`` and the sums over them of the NLL per condition
    (``nll_<condition>``), ``m`` and ``m_mismatched`` (Stage II's probe groups them by
    cluster). Items are batched by length (:func:`length_order`).

    ``world``: the ranks of a launch share the batches (rank r takes batches r, r + n, ...,
    the batches one process forms, so each item's sums are the same whatever n) and every rank
    gets the whole set's metrics and per-item sums. ``together``: every rank must take part in
    every forward pass (a student or teacher sharded with FSDP2); a rank whose batches are used
    up then runs one more that it discards."""
    lm = model.student
    was_training = model.training
    model.eval()
    acc = _Scored()
    world = world or World()
    if world.size > 1 and not world.joined:
        raise SaladError(f"reading metrics for rank {world.rank} of {world.size}: the ranks "
                         "share the batches, which needs the launch's process group")
    order = length_order(halves)
    batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    mine = share(batches, world)
    rounds = -(-len(batches) // world.size) if together else len(mine)
    sums: dict[int, dict] = {}
    try:
        for round_ in range(rounds):
            spare = round_ >= len(mine)  # a pass for the other ranks, discarded
            idx = batches[0] if spare else mine[round_]
            items = [halves.items[i] for i in idx]
            others = [halves.items[halves.mismatch[i]] for i in idx]
            firsts = lm.tokenize([it.first for it in items])
            rests = lm.tokenize([" " + it.rest for it in items])
            counts = [len(r) for r in rests]
            spans, span_lengths = model.speech_spans(
                *pad_frames(features([it.id for it in items] + [o.id for o in others])))
            n = len(items)
            matched, mismatched = (collate([build_layout(
                [Segment((), True, int(span_lengths[offset + b]), offset + b),
                 Segment(tuple(rests[b]))], lm.bos_id, model.boundary_markers) for b in range(n)])
                for offset in (0, n))
            other_firsts = lm.tokenize([o.first for o in others])
            text, text_mismatched = (collate([build_layout(
                [Segment(tuple(pre[b])), Segment(tuple(rests[b]))], lm.bos_id) for b in range(n)])
                for pre in (firsts, other_firsts))
            none = collate([build_layout([Segment(tuple(rests[b]))], lm.bos_id)
                            for b in range(n)])
            s_text = model.student_logits(text)
            logits = {
                "text": s_text[_tail(text, counts)],
                "none": model.student_logits(none),
                "matched": model.student_logits(matched, spans),
                "mismatched": model.student_logits(mismatched, spans),
                "text_mismatched": model.student_logits(text_mismatched)[
                    _tail(text_mismatched, counts)],
            }
            f = scorer.score(teacher_logits(teacher, text), s_text)
            if spare:
                continue
            targets = none.targets.to(s_text.device)
            values = {f"nll_{key}": F.cross_entropy(value.float(), targets, reduction="none")
                      for key, value in logits.items()}
            values["m"] = scorer.score(logits["text"], logits["matched"])
            values["m_mismatched"] = scorer.score(logits["text"], logits["mismatched"])
            for key, value in values.items():
                acc.sums[key.removeprefix("nll_")] += float(value.sum())
            acc.positions += int(targets.numel())
            if per_item is not None:
                sums.update(zip(idx, _item_sums(values, none.example_index, n)))
            acc.sums["f"] += float(f.sum())
            acc.f_positions += int(f.numel())
    finally:
        model.train(was_training)
    if world.size > 1:
        keys = list(acc.sums)
        totals = world.sum([acc.sums[k] for k in keys] + [acc.positions, acc.f_positions])
        acc.sums = dict(zip(keys, totals[:len(keys)]))
        acc.positions, acc.f_positions = int(totals[-2]), int(totals[-1])
        if per_item is not None:
            sums = {i: row for part in world.gather(sums) for i, row in part.items()}
    if per_item is not None:
        per_item += [sums[i] for i in range(len(halves.items))]
    return acc.summary()
