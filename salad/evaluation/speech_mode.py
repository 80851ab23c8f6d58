"""Score requests whose item context is speech: text shots, then ``before`` text, the start
marker, the adapter's outputs for the spoken audio, the end marker, ``after`` text, and the
option as text (the layout Stage I trains, see :mod:`salad.speech.interleave`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from salad.core.errors import SaladError
from salad.core.items import BenchmarkItem

from .loglik import LoglikScorer, ScoreRequest
from .prompts import PromptFormat, render_shot
from .spoken import spoken_parts

FrameLookup = Callable[[str], "torch.Tensor | None"]


class SpeechContexts:
    """Request builder for :func:`~salad.evaluation.scoring.evaluate` in speech mode.

    ``model`` is a :class:`~salad.speech.model.SpeechLM` (adapter, markers, student);
    ``frames(key)`` gives the encoder frames ``(T, D)`` of a spoken text by its content key
    (:attr:`~salad.evaluation.spoken.SpokenContext.key`); when it also has ``audio_id(key)``
    (the audio file's content hash), that enters each item's score-cache key, so cached scores
    of different audio never mix. ``source`` names the voice and encoder.
    """

    def __init__(self, model, frames: FrameLookup, source: str, fmt: PromptFormat | None = None):
        self.model = model
        self.frames = frames
        self.source = source
        self.fmt = fmt or PromptFormat()

    @property
    def key(self) -> str:
        return f"speech-v1|{self.source}|{self.fmt.key}"

    def item_key(self, item: BenchmarkItem) -> str:
        audio_id = getattr(self.frames, "audio_id", None)
        if audio_id is None:
            return ""
        return ",".join(audio_id(p.key) or "?" for p in spoken_parts(item))

    @torch.inference_mode()
    def _speech_embeddings(self, keys: Sequence[str]) -> dict[str, torch.Tensor]:
        """Marker + adapter outputs + marker, ``(T' + 2, H)`` per spoken key."""
        unique = list(dict.fromkeys(keys))
        frames = []
        for k in unique:
            f = self.frames(k)
            if f is None:
                raise SaladError(f"no encoder frames for spoken text {k}")
            frames.append(f)
        return dict(zip(unique, self.model.marked_spans(frames), strict=True))

    def requests(self, scorer: LoglikScorer, items: Sequence[BenchmarkItem],
                 shots: Sequence[Sequence[BenchmarkItem]]) -> list[list[ScoreRequest]]:
        fmt = self.fmt
        plans = []  # per item: list of (pre text, spoken key, after text, continuation text)
        for item, shot_items in zip(items, shots, strict=True):
            prefix = "".join(render_shot(s, fmt) + fmt.shot_separator for s in shot_items)
            parts = spoken_parts(item)
            choices = (item.choices * len(parts) if item.contexts is not None
                       else item.choices)
            plans.append([(prefix + p.before, p.key, p.after, fmt.target_delimiter + c)
                          for p, c in zip(parts, choices, strict=True)])
        flat = [row for plan in plans for row in plan]
        speech = self._speech_embeddings([row[1] for row in flat])
        pres = scorer.lm.tokenize([row[0] for row in flat])
        afters = scorer.split_pairs([(row[2], row[3]) for row in flat])
        reqs = []
        for (pre_text, key, _, _), pre, (after, cont) in zip(flat, pres, afters, strict=True):
            context = [scorer.prefix_ids + (list(pre) if pre_text else []), speech[key]]
            if after:
                context.append(after)
            reqs.append(ScoreRequest(context, cont))
        out, start = [], 0
        for plan in plans:
            out.append(reqs[start:start + len(plan)])
            start += len(plan)
        return out
