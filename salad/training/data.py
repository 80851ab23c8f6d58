"""Training examples for Stage I: windows of consecutive utterances with seeded modalities."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..core.errors import SaladError
from ..data.manifests import ManifestLineError, read_speech_manifest
from ..speech.interleave import Batch, Layout, Segment, build_layout, collate

# Given utterance ids, return their encoder frames, each ``(T, D)``.
FeatureLookup = Callable[[Sequence[str]], list[torch.Tensor]]


@dataclass(frozen=True)
class Utterance:
    id: str
    text: str
    domain: str
    audio: str = ""


def read_utterances(path: str | Path) -> tuple[list[Utterance], list[ManifestLineError]]:
    """The utterances of a speech manifest, and its bad lines (to be skipped and counted)."""
    if not Path(path).exists():
        raise SaladError(f"manifest {path} does not exist (run the data stage first)")
    manifest = read_speech_manifest(path)
    return ([Utterance(r.id, r.text, (r.domains or [""])[0], r.audio) for r in manifest.records],
            manifest.errors)


def windows(utts: Sequence[Utterance], size: int) -> list[list[Utterance]]:
    """Non-overlapping runs of up to ``size`` consecutive utterances of the same domain."""
    out: list[list[Utterance]] = []
    current: list[Utterance] = []
    for u in utts:
        if current and (len(current) == size or u.domain != current[-1].domain):
            out.append(current)
            current = []
        current.append(u)
    if current:
        out.append(current)
    return [w for w in out if len(w) >= 2 or size == 1]


def assign_modalities(n: int, rng: random.Random, speech_prob: float,
                      text_fraction: float) -> list[bool]:
    """Which utterances are spoken. Plain-text examples with chance ``text_fraction``;
    otherwise each non-final utterance is spoken with ``speech_prob`` (at least one), and the
    final one stays text so that every mixed example has text to predict after speech."""
    if n == 1 or rng.random() < text_fraction:
        return [False] * n
    flags = [rng.random() < speech_prob for _ in range(n - 1)]
    if not any(flags):
        flags[rng.randrange(n - 1)] = True
    return [*flags, False]


Example = tuple[Sequence[Utterance], Sequence[bool]]  # a window and which utterances are spoken


def spoken_ids(examples: Sequence[Example]) -> list[str]:
    """Ids of the spoken utterances of ``examples`` in order: span ``k`` is the ``k``-th."""
    return [u.id for window, flags in examples for u, spoken in zip(window, flags) if spoken]


class ExampleBuilder:
    """Turns windows + modality flags into layouts, tokenizing each utterance once."""

    def __init__(self, lm):
        self.lm = lm
        self._tokens: dict[tuple[str, bool], tuple[int, ...]] = {}

    def tokens(self, utt: Utterance, first: bool) -> tuple[int, ...]:
        key = (utt.id, first)
        if key not in self._tokens:
            text = utt.text if first else " " + utt.text
            self._tokens[key] = tuple(self.lm.tokenize([text])[0])
        return self._tokens[key]

    def layouts(self, examples: Sequence[Example], span_lengths: Sequence[int],
                markers: bool = True) -> list[Layout]:
        """One layout per example; the ``k``-th spoken utterance (:func:`spoken_ids`) takes
        ``span_lengths[k]`` positions and reads span ``k`` of the adapter's outputs, between
        boundary markers when ``markers`` (the model's :attr:`SpeechLM.boundary_markers`)."""
        out, k = [], 0
        for window, flags in examples:
            segments = []
            for i, (utt, spoken) in enumerate(zip(window, flags)):
                toks = self.tokens(utt, i == 0)
                if spoken:
                    segments.append(Segment(toks, True, int(span_lengths[k]), k))
                    k += 1
                else:
                    segments.append(Segment(toks))
            out.append(build_layout(segments, self.lm.bos_id, markers))
        return out

    def text_layouts(self, windows: Sequence[Sequence[Utterance]]) -> list[Layout]:
        """Layouts of ``windows`` read as plain text (the teacher's view)."""
        return self.layouts([(w, [False] * len(w)) for w in windows], [])


def speech_batch(model, builder: ExampleBuilder, features: FeatureLookup,
                 examples: Sequence[Example]) -> tuple[Batch, torch.Tensor | None]:
    """A batch of ``examples`` and the adapter's spans for it: the adapter runs first, since
    it decides how many positions each spoken utterance takes."""
    ids = spoken_ids(examples)
    if not ids:
        return collate(builder.layouts(examples, [])), None
    spans, lengths = model.speech_spans(*pad_frames(features(ids)))
    return collate(builder.layouts(examples, lengths.tolist(), model.boundary_markers)), spans


class Sampler:
    """Seeded epoch permutations with a resumable cursor (state is two integers)."""

    def __init__(self, n: int, seed: int, epoch: int = 0, cursor: int = 0):
        if n == 0:
            raise SaladError("no training examples: the training manifest is empty or has no "
                             "windows of two or more utterances")
        self.n, self.seed, self.epoch, self.cursor = n, seed, epoch, cursor
        self._order = self._permutation(epoch)

    def _permutation(self, epoch: int) -> list[int]:
        order = list(range(self.n))
        random.Random(f"order-{self.seed}-{epoch}").shuffle(order)
        return order

    def take(self, k: int) -> list[tuple[int, int]]:
        """Next ``k`` (example index, epoch) pairs."""
        out = []
        while len(out) < k:
            if self.cursor >= self.n:
                self.epoch, self.cursor = self.epoch + 1, 0
                self._order = self._permutation(self.epoch)
            out.append((self._order[self.cursor], self.epoch))
            self.cursor += 1
        return out

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "cursor": self.cursor}


def modality_rng(seed: int, epoch: int, index: int) -> random.Random:
    return random.Random(f"modality-{seed}-{epoch}-{index}")


def pad_frames(frames: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([f.shape[0] for f in frames], dtype=torch.long)
    out = torch.zeros(len(frames), int(lengths.max()), frames[0].shape[1])
    for i, f in enumerate(frames):
        out[i, : f.shape[0]] = f.float()
    return out, lengths


def mix_windows(natural: list, synthetic: list, share: float | None, seed: int) -> list:
    """``synthetic`` windows (each once) and a seeded draw of natural windows (repeated when
    there are too few) so that the synthetic ones make up about ``share`` of the result;
    ``share`` None: ``natural + synthetic`` as they are."""
    if share is None or not synthetic or not natural:
        return natural + synthetic
    want = max(1, round(len(synthetic) * (1 - share) / share))
    pool = natural * math.ceil(want / len(natural))
    return random.Random(seed).sample(pool, want) + synthetic
