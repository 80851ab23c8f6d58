"""Interleaved speech/text sequences and the position map between student and teacher.

An *example* is a run of consecutive utterances (e.g. the turns of one conversation). Each
utterance is shown to the student either as text (its tokens) or as speech (a start marker, the
adapter's outputs for its frames, an end marker; without markers, the adapter's outputs alone).
The teacher always reads every utterance as text. Utterances are tokenized separately (non-first
ones with a leading space) so that the teacher's tokens are exactly the concatenation of the
student's text tokens and the two sequences can be aligned token for token.

Only positions whose *next* token is text are trained or scored; for each of those the position
map gives the student position, the teacher position that predicts the same token, and the
token itself. Nothing here touches vocabulary logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import torch

START, END = 0, 1  # marker indices


@dataclass(frozen=True)
class Segment:
    """One utterance in an example: its token ids, and frames when shown as speech."""

    tokens: tuple[int, ...]
    speech: bool = False
    n_frames: int = 0          # adapter output length (after downsampling) when speech
    feature_key: int = -1      # index into the batch's feature list when speech


@dataclass
class Layout:
    """Student and teacher sequences for one example (lists of positions)."""

    student_ids: list[int]                 # PAD_SPEECH where adapter outputs or markers go
    speech_spans: list[tuple[int, int, int]]   # (start position, length, feature index)
    markers: list[tuple[int, int]]         # (position, START or END)
    teacher_ids: list[int]
    pairs: list[tuple[int, int, int]]      # (student position, teacher position, target token)
    after_speech: list[bool]               # per pair: does its prefix contain speech?


def build_layout(segments: Sequence[Segment], bos_id: int, markers: bool = True) -> Layout:
    """``markers=False``: a speech span is the adapter's outputs alone, with no boundary
    marker before or after it (:attr:`salad.speech.model.SpeechLM.boundary_markers`)."""
    student: list[int] = [bos_id]
    teacher: list[int] = [bos_id]
    spans: list[tuple[int, int, int]] = []
    marks: list[tuple[int, int]] = []
    pairs: list[tuple[int, int, int]] = []
    after: list[bool] = []
    for seg in segments:
        if seg.speech:
            if markers:
                marks.append((len(student), START))
                student.append(0)
            spans.append((len(student), seg.n_frames, seg.feature_key))
            student.extend([0] * seg.n_frames)
            if markers:
                marks.append((len(student), END))
                student.append(0)
            teacher.extend(seg.tokens)
            continue
        for tok in seg.tokens:
            pairs.append((len(student) - 1, len(teacher) - 1, tok))
            after.append(bool(spans))
            student.append(tok)
            teacher.append(tok)
    return Layout(student, spans, marks, teacher, pairs, after)


@dataclass
class Batch:
    """Padded tensors for a batch of layouts (right padding)."""

    student_ids: torch.Tensor        # (B, L)
    student_mask: torch.Tensor       # (B, L)
    teacher_ids: torch.Tensor        # (B, Lt)
    teacher_mask: torch.Tensor       # (B, Lt)
    span_index: torch.Tensor         # (P, 2) batch, position of each adapter output slot
    span_source: torch.Tensor        # (P, 2) feature index, frame of that slot
    marker_index: torch.Tensor       # (M, 2) batch, position
    marker_kind: torch.Tensor        # (M,) START or END
    student_pos: torch.Tensor        # (N,) flat index b * L + p predicting a text token
    teacher_pos: torch.Tensor        # (N,) flat index b * Lt + q predicting the same token
    targets: torch.Tensor            # (N,)
    example_index: torch.Tensor      # (N,) which example each pair belongs to
    after_speech: torch.Tensor       # (N,) bool: the pair's prefix contains speech

    @property
    def n_text_positions(self) -> int:
        return int(self.targets.numel())

    def to(self, device: torch.device, pin_memory: bool = False) -> Batch:
        """This batch on ``device``; with ``pin_memory`` the host tensors are pinned first and
        copied without blocking (CUDA)."""
        def move(t: torch.Tensor) -> torch.Tensor:
            if t.device == device:
                return t
            return (t.pin_memory() if pin_memory else t).to(device, non_blocking=pin_memory)

        return replace(self, **{f.name: move(getattr(self, f.name)) for f in fields(self)})


def _pad(rows: list[list[int]], value: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), value, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids, mask


def collate(layouts: Sequence[Layout], pad_id: int = 0) -> Batch:
    s_ids, s_mask = _pad([lay.student_ids for lay in layouts], pad_id)
    t_ids, t_mask = _pad([lay.teacher_ids for lay in layouts], pad_id)
    width_s, width_t = s_ids.shape[1], t_ids.shape[1]
    span_index, span_source, marker_index, marker_kind = [], [], [], []
    s_pos, t_pos, targets, example, after = [], [], [], [], []
    for b, lay in enumerate(layouts):
        for start, length, feat in lay.speech_spans:
            span_index += [(b, start + i) for i in range(length)]
            span_source += [(feat, i) for i in range(length)]
        for pos, kind in lay.markers:
            marker_index.append((b, pos))
            marker_kind.append(kind)
        for sp, tp, tok in lay.pairs:
            s_pos.append(b * width_s + sp)
            t_pos.append(b * width_t + tp)
            targets.append(tok)
            example.append(b)
        after += lay.after_speech

    def long(rows, cols=None):
        if cols is not None and not rows:
            return torch.zeros((0, cols), dtype=torch.long)
        return torch.tensor(rows, dtype=torch.long)

    return Batch(s_ids, s_mask, t_ids, t_mask, long(span_index, 2), long(span_source, 2),
                 long(marker_index, 2), long(marker_kind), long(s_pos), long(t_pos),
                 long(targets), long(example), torch.tensor(after, dtype=torch.bool))
