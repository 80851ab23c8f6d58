"""Encoder frames -> adapter -> LM, with learned modality boundary markers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .interleave import END, START, Batch


class SpeechLM(nn.Module):
    """The trainable part of the speech LLM: adapter, boundary markers and the student LM.

    The frozen speech encoder is not part of this module: its frames come from the feature
    cache (or are computed once per batch), so training never backpropagates into it. An adapter
    that reads the LM's own vocabulary (``bind_lm``) is bound to the student here.

    Speech is read in two steps, because the adapter decides how many positions a span takes:
    :meth:`speech_spans` runs the adapter over the frames of every spoken utterance of a batch,
    the layouts are built with those lengths, then :meth:`student_logits` places the spans.
    """

    def __init__(self, adapter: nn.Module, student):
        super().__init__()
        self.adapter = adapter
        self.student = student
        self.lm = student.module  # registered so that parameters() and state_dict() see it
        hidden = student.hidden_size
        self.markers = nn.Parameter(torch.randn(2, hidden) * 0.02)
        # an adapter whose outputs the LM reads as text (its own embeddings) may go without
        self.boundary_markers = bool(getattr(adapter, "boundary_markers", True))
        bind = getattr(adapter, "bind_lm", None)
        if callable(bind):
            bind(student)

    def speech_spans(self, frames: torch.Tensor,
                     frame_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Adapter outputs ``(U, T', H)`` and their lengths ``(U,)`` for ``U`` utterances
        (frames move to the model's device)."""
        device = self.markers.device
        return self.adapter(frames.to(device), frame_lengths.to(device))

    def forward(self, build: Callable[[SpeechLM], tuple[Batch, torch.Tensor | None]]):
        """One training micro-batch as one call, the shape data-parallel wrappers (DDP,
        FSDP2) hook: ``build(self)`` runs the adapter and builds the batch (the adapter
        decides the span lengths; e.g. :func:`salad.training.data.speech_batch`), then the
        student reads it. Returns the logits and the batch. Every trainable parameter takes
        part even in a batch without speech (it adds a zero that depends on the adapter and
        the markers), so that every rank reduces the same gradients."""
        batch, spans = build(self)
        logits = self.student_logits(batch, spans)
        if spans is None:
            frames = torch.zeros(1, 1, self.adapter.input_dim, device=self.markers.device)
            silent, _ = self.speech_spans(frames, torch.ones(1, dtype=torch.long))
            logits = logits + (silent.sum() + self.markers.sum()) * 0.0
        return logits, batch

    def mark(self, span: torch.Tensor) -> torch.Tensor:
        """``span`` ``(T', H)`` as the student reads it: between the start and end markers
        (``(T' + 2, H)``), or as it is without :attr:`boundary_markers`; float32."""
        if not self.boundary_markers:
            return span.float()
        return torch.cat([self.markers[START:START + 1].to(span.dtype), span,
                          self.markers[END:END + 1].to(span.dtype)]).float()

    def marked_spans(self, frames: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Each utterance as the student reads it (:meth:`mark`): the adapter's outputs for its
        encoder frames ``(T, D)``, between the markers."""
        lengths = torch.tensor([f.shape[0] for f in frames])
        padded = nn.utils.rnn.pad_sequence([f.float() for f in frames], batch_first=True)
        param = next(self.adapter.parameters())
        out, out_lengths = self.speech_spans(padded.to(param.device, param.dtype),
                                             lengths.to(param.device))
        return [self.mark(out[i, : int(out_lengths[i])]) for i in range(len(frames))]

    def student_inputs(self, batch: Batch, spans: torch.Tensor | None = None) -> torch.Tensor:
        """Input embeddings ``(B, L, H)`` with speech spans and markers filled in."""
        emb = self.student.embed(batch.student_ids)
        if batch.span_index.numel():
            if spans is None:
                raise ValueError("the batch has speech spans: pass speech_spans(...) outputs")
            values = spans[batch.span_source[:, 0], batch.span_source[:, 1]].to(emb.dtype)
            emb = emb.index_put((batch.span_index[:, 0], batch.span_index[:, 1]), values)
        if batch.marker_index.numel():
            values = self.markers[batch.marker_kind].to(emb.dtype)
            emb = emb.index_put((batch.marker_index[:, 0], batch.marker_index[:, 1]), values)
        return emb

    def student_logits(self, batch: Batch, spans: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, V)`` logits at the positions whose next token is text."""
        batch = batch.to(self.markers.device)
        emb = self.student_inputs(batch, spans)
        hidden = self.student.hidden_states(emb, batch.student_mask)
        picked = hidden.reshape(-1, hidden.shape[-1])[batch.student_pos]
        return self.student.logits(picked)


@torch.no_grad()
def teacher_logits(teacher, batch: Batch) -> torch.Tensor:
    """``(N, V)`` teacher logits at the positions paired with the student's."""
    hidden = teacher.hidden_states(teacher.embed(batch.teacher_ids), batch.teacher_mask)
    picked = hidden.reshape(-1, hidden.shape[-1])[batch.teacher_pos.to(hidden.device)]
    return teacher.logits(picked)
