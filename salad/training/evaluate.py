"""Held-out misalignment M and forgetting F (DESIGN.md §1).

M: the student against itself, ``KL(P(. | text prefix) || P(. | speech-mixed prefix))`` at the
text positions whose prefix contains speech. F: ``KL(Q_teacher(. | text) || P(. | text))`` at
every text position. Both in nats per token, computed over the full vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..speech.interleave import collate
from ..speech.model import SpeechLM, teacher_logits
from .data import ExampleBuilder, FeatureLookup, Utterance, pad_frames


@dataclass
class HeldOut:
    """Fixed held-out examples: windows of utterances and which of them are spoken."""

    windows: list[list[Utterance]]
    speech: list[list[bool]]


@torch.no_grad()
def _student_text_logits(model: SpeechLM, batch) -> torch.Tensor:
    """Student logits on the text-only version, at the teacher positions of ``batch``."""
    student = model.student
    hidden = student.hidden_states(student.embed(batch.teacher_ids), batch.teacher_mask)
    return student.logits(hidden.reshape(-1, hidden.shape[-1])[batch.teacher_pos])


@torch.no_grad()
def misalignment_and_forgetting(model: SpeechLM, teacher, scorer, held: HeldOut,
                                builder: ExampleBuilder, features: FeatureLookup,
                                batch_size: int = 8) -> dict[str, float]:
    was_training = model.training
    model.eval()
    m_sum = m_n = f_sum = f_n = nll_sum = 0.0
    try:
        for start in range(0, len(held.windows), batch_size):
            windows = held.windows[start:start + batch_size]
            flags = held.speech[start:start + batch_size]
            speech_ids: list[str] = []
            batch = collate([builder.layout(w, f, speech_ids) for w, f in zip(windows, flags)])
            frames, lengths = pad_frames(features(speech_ids))
            s_mixed = model.student_logits(batch, frames, lengths).float()
            s_text = _student_text_logits(model, batch).float()
            sel = batch.after_speech
            m_sum += float(scorer.score(s_text[sel], s_mixed[sel]).sum())
            m_n += int(sel.sum())
            nll_sum += float(torch.nn.functional.cross_entropy(
                s_mixed[sel], batch.targets[sel], reduction="sum"))
            text_batch = collate([builder.layout(w, [False] * len(w), []) for w in windows])
            f = scorer.score(teacher_logits(teacher, text_batch).float(),
                             model.student_logits(text_batch).float())
            f_sum += float(f.sum())
            f_n += f.numel()
    finally:
        model.train(was_training)
    return {"misalignment": m_sum / max(m_n, 1), "forgetting": f_sum / max(f_n, 1),
            "speech_nll": nll_sum / max(m_n, 1), "eval_positions": int(m_n)}
