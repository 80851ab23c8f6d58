"""Interleaved layouts: the position map pairs student and teacher predictions of each token."""

from __future__ import annotations

import torch

from salad.speech.interleave import END, START, Segment, build_layout, collate
from salad.speech.model import SpeechLM, teacher_logits


def _segments(lm, speech=(False, True, False)):
    texts = ["hello there", " how are you", " fine thanks"]
    toks = lm.tokenize(texts)
    return [Segment(tuple(t), speech=s, n_frames=3 if s else 0, feature_key=0 if s else -1)
            for t, s in zip(toks, speech)]


def test_layout_pairs_predict_the_same_token(tiny_lm):
    lm = tiny_lm()
    segs = _segments(lm)
    lay = build_layout(segs, bos_id=0)
    # teacher sees all text; student has markers + 3 frames instead of segment 2's tokens
    assert lay.teacher_ids == [0, *segs[0].tokens, *segs[1].tokens, *segs[2].tokens]
    assert len(lay.student_ids) == 1 + len(segs[0].tokens) + 5 + len(segs[2].tokens)
    assert lay.markers == [(1 + len(segs[0].tokens), START), (5 + len(segs[0].tokens), END)]
    n_text = len(segs[0].tokens) + len(segs[2].tokens)
    assert len(lay.pairs) == n_text  # speech tokens are never predicted
    for sp, tp, tok in lay.pairs:
        assert lay.teacher_ids[tp + 1] == tok
        assert lay.student_ids[sp + 1] == tok
    # the first token after the speech span is predicted from the END marker position
    first_after = lay.pairs[len(segs[0].tokens)]
    assert first_after[2] == segs[2].tokens[0]
    assert first_after[0] == lay.markers[1][0]


def test_text_only_student_matches_teacher_logits(tiny_lm):
    lm = tiny_lm()
    layouts = [build_layout(_segments(lm, (False, False, False)), 0),
               build_layout(_segments(lm, (False, False))[:2], 0)]
    batch = collate(layouts)
    model = SpeechLM(torch.nn.Identity(), lm)
    with torch.no_grad():
        s = model.student_logits(batch)
    t = teacher_logits(lm, batch)
    assert s.shape == t.shape == (batch.n_text_positions, lm.vocab_size)
    assert torch.allclose(s, t, atol=1e-5)


def test_speech_spans_filled_from_adapter_outputs(tiny_lm):
    lm = tiny_lm("student_lm", training="full")

    class Adapter(torch.nn.Module):
        def forward(self, frames, lengths):
            return frames, lengths

    layouts = [build_layout(_segments(lm), 0)]
    batch = collate(layouts)
    frames = torch.randn(1, 3, lm.hidden_size)
    model = SpeechLM(Adapter(), lm)
    spans, lengths = model.speech_spans(frames, torch.tensor([3]))
    assert lengths.tolist() == [3]
    emb = model.student_inputs(batch, spans)
    start = layouts[0].speech_spans[0][0]
    assert torch.equal(emb[0, start:start + 3], frames[0])
    assert torch.equal(emb[0, layouts[0].markers[0][0]], model.markers[START].detach())
    logits = model.student_logits(batch, spans)
    logits.sum().backward()
    assert model.markers.grad is not None and model.markers.grad.abs().sum() > 0


def test_without_markers_a_span_reads_as_text_would(tiny_lm):
    """An adapter that declares no boundary markers: its outputs are the only speech positions,
    and outputs equal to the tokens' embeddings give the text's logits exactly."""
    lm = tiny_lm("student_lm", training="full")
    segs = _segments(lm)
    lay = build_layout(segs, bos_id=0, markers=False)
    assert lay.markers == []
    assert lay.student_ids[:1 + len(segs[0].tokens)] == lay.teacher_ids[:1 + len(segs[0].tokens)]
    assert len(lay.student_ids) == 1 + len(segs[0].tokens) + 3 + len(segs[2].tokens)
    assert [tok for _, _, tok in lay.pairs] == [*segs[0].tokens, *segs[2].tokens]

    class Embedder(torch.nn.Module):
        boundary_markers = False

        def forward(self, token_ids, lengths):
            return lm.embed(token_ids), lengths

    model = SpeechLM(Embedder(), lm)
    assert not model.boundary_markers
    spoken = _segments(lm, (False, True, False))
    spoken[1] = Segment(spoken[1].tokens, True, len(spoken[1].tokens), 0)
    batch = collate([build_layout(spoken, 0, markers=False)])
    text = collate([build_layout(_segments(lm, (False, False, False)), 0)])
    spans, _ = model.speech_spans(torch.tensor([spoken[1].tokens]),
                                  torch.tensor([len(spoken[1].tokens)]))
    with torch.no_grad():
        as_speech = model.student_logits(batch, spans)
        as_text = model.student_logits(text)
    n0, n1 = len(spoken[0].tokens), len(spoken[1].tokens)
    assert torch.equal(batch.targets, torch.cat([text.targets[:n0], text.targets[n0 + n1:]]))
    assert torch.allclose(as_speech, torch.cat([as_text[:n0], as_text[n0 + n1:]]), atol=1e-5)
    span = torch.randn(4, lm.hidden_size)
    assert torch.equal(model.mark(span), span)
