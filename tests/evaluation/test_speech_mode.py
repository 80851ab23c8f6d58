"""Speech-mode requests: spoken/text split, the marker + adapter span, and scores that match
text mode wherever the model cannot see the speech."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from salad.core.items import BenchmarkItem  # noqa: E402
from salad.evaluation import LoglikScorer, evaluate  # noqa: E402
from salad.evaluation.speech_mode import SpeechContexts  # noqa: E402
from salad.evaluation.spoken import speech_problem, split_context, spoken_parts  # noqa: E402
from salad.speech.model import SpeechLM  # noqa: E402

from .fake_lm import BigramLM, V  # noqa: E402


class IdentityAdapter(torch.nn.Module):
    """Frames pass through unchanged (one output step per frame)."""

    downsample = 1

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, frames, lengths):
        return frames * self.scale, lengths


class TinySpeechLM(torch.nn.Module):
    def __init__(self, lm, end_marker: str):
        super().__init__()
        self.adapter = IdentityAdapter()
        self.student = lm
        markers = torch.zeros(2, V)
        markers[1, ord(end_marker)] = 1.0  # the END marker looks like this byte to the bigram
        self.markers = torch.nn.Parameter(markers)
        self.boundary_markers = True

    def speech_spans(self, frames, lengths):
        return self.adapter(frames, lengths)

    mark = SpeechLM.mark  # the real markers + span layout
    marked_spans = SpeechLM.marked_spans


def one_hot_frames(text: str) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(list(text.encode())), V).float()


def test_split_keeps_scaffolding_as_text():
    part = split_context("Question: How many legs does a cat have?\nAnswer:")
    assert (part.before, part.spoken, part.after) == (
        "Question: ", "How many legs does a cat have?", "\nAnswer:")
    part = split_context("A man  fills a kettle.\n He")
    assert (part.before, part.spoken, part.after) == ("", "A man fills a kettle. He", "")
    assert part.with_text("T") == "T"
    assert split_context("Q: x\n A: ").after == "\n A: "


def test_spoken_parts_per_option_and_problems():
    wino = BenchmarkItem("w", "wino", "", ("was small.",), 0, contexts=("the cup", "the box"))
    assert [p.spoken for p in spoken_parts(wino)] == ["the cup", "the box"]
    shared = BenchmarkItem("s", "b", "Question: Why?\nAnswer:", ("a", "b"), 0)
    parts = spoken_parts(shared)
    assert len(parts) == 2 and parts[0] == parts[1] and parts[0].key != spoken_parts(wino)[0].key
    assert speech_problem(shared) is None
    assert speech_problem(BenchmarkItem("e", "b", "Question: \nAnswer:", ("a", "b"), 0))
    override = BenchmarkItem("o", "b", "Question: Q1\nAnswer:", ("a", "b"), 0,
                             meta={"spoken": "spoken  form"})
    assert spoken_parts(override)[0].spoken == "spoken form"


TABLE = {(":", " "): 2.0, (" ", "b"): 3.0, (" ", "r"): 1.0, ("e", " "): 4.0, ("e", "x"): 2.0}


def _contexts(lm, end_marker="e"):
    model = TinySpeechLM(lm, end_marker)
    return model, SpeechContexts(model, lambda key: frames[key], source="test")


frames: dict[str, torch.Tensor] = {}


def test_request_layout_is_text_marker_span_marker_text():
    lm = BigramLM(TABLE)
    item = BenchmarkItem("i", "b", "Question: Sky colour?\nAnswer:", ("blue", "red"), 0)
    part = spoken_parts(item)[0]
    frames[part.key] = one_hot_frames(part.spoken)
    model, contexts = _contexts(lm)
    scorer = LoglikScorer(lm)
    (reqs,) = contexts.requests(scorer, [item], [[]])
    assert len(reqs) == 2
    pre, span, after = reqs[0].context
    assert pre == [0] + list(b"Question: ")
    assert after == list(b"\nAnswer:")
    assert reqs[0].continuation == list(b" blue")
    assert span.shape == (len(part.spoken) + 2, V)
    assert torch.equal(span[0], model.markers[0].detach())
    assert torch.equal(span[-1], model.markers[1].detach())
    assert torch.equal(span[1:-1], frames[part.key])


def test_speech_scores_equal_text_scores_where_the_model_cannot_hear():
    """A bigram LM only sees the previous position: after an ``Answer:`` cue the speech and the
    text requests must score identically; without a cue the END marker is the previous
    position, so it decides (here it is made to look like the text's last byte, "e")."""
    lm = BigramLM(TABLE)
    items = [BenchmarkItem("cue", "b", "Question: Sky colour?\nAnswer:", ("blue", "red"), 1),
             BenchmarkItem("nocue", "b", "The kettle boiled therefore", ("x", "blue"), 0)]
    for it in items:
        for p in spoken_parts(it):
            frames[p.key] = one_hot_frames(p.spoken)
    _, contexts = _contexts(lm, end_marker="e")
    scorer = LoglikScorer(lm, batch_size=3)
    text = evaluate(scorer, items, model_id="bigram")
    speech = evaluate(scorer, items, model_id="bigram", contexts=contexts)
    for t, s in zip(text.scores, speech.scores, strict=True):
        assert s.loglik == pytest.approx(t.loglik, abs=1e-5)
    assert text.acc == speech.acc
    _, deaf = _contexts(lm, end_marker="z")  # an END marker unlike "e" changes the no-cue item
    changed = evaluate(scorer, items[1:], model_id="bigram", contexts=deaf)
    assert changed.scores[0].loglik != pytest.approx(text.scores[1].loglik, abs=1e-3)


def test_missing_frames_is_a_clear_error():
    from salad.core.errors import SaladError

    lm = BigramLM(TABLE)
    model = TinySpeechLM(lm, "e")
    contexts = SpeechContexts(model, lambda key: None, source="test")
    item = BenchmarkItem("i", "b", "Never spoken", ("x", "y"), 0)
    with pytest.raises(SaladError, match="no encoder frames"):
        contexts.requests(LoglikScorer(lm), [item], [[]])


def test_recordings_match_spoken_texts_and_report_bad_rows(tmp_path):
    from salad.core.errors import SaladError
    from salad.evaluation.spoken_audio import recorded_texts

    item = BenchmarkItem("i", "b", "Question: How many legs does a cat have?\nAnswer:",
                         ("two", "four"), 1)
    (tmp_path / "cat.wav").write_bytes(b"RIFF")
    manifest = tmp_path / "rec.jsonl"
    manifest.write_text(
        '{"text": "How many  legs does a cat have?", "audio": "cat.wav"}\n'
        '{"text": "Not a benchmark text", "audio": "other.wav"}\n')
    got = recorded_texts(spoken_parts(item), manifest, "human")
    key = spoken_parts(item)[0].key
    assert got.voice == "rec:human" and got.audio == {key: str(tmp_path / "cat.wav")}
    manifest.write_text('{"text": "How many legs does a cat have?", "audio": "gone.wav"}\n')
    assert "not found" in recorded_texts(spoken_parts(item), manifest, "h").failed[key]
    manifest.write_text('{"text": "x"}\n')
    with pytest.raises(SaladError, match=r"rec.jsonl:1"):
        recorded_texts(spoken_parts(item), manifest, "h")


def test_cached_speech_scores_are_keyed_by_the_audio(tmp_path):
    from salad.evaluation import ScoreCache

    class Frames(dict):
        def __init__(self, audio: str):
            super().__init__()
            self.audio = audio

        def __call__(self, key):
            return frames[key]

        def audio_id(self, key):
            return self.audio

    lm = BigramLM(TABLE)
    item = BenchmarkItem("i", "b", "Question: Sky colour?\nAnswer:", ("blue", "red"), 0)
    frames[spoken_parts(item)[0].key] = one_hot_frames("Sky colour?")
    model = TinySpeechLM(lm, "e")
    cache = ScoreCache(tmp_path / "scores.jsonl")

    def run(audio):
        contexts = SpeechContexts(model, Frames(audio), source="test")
        return evaluate(LoglikScorer(lm), [item], model_id="m", contexts=contexts, cache=cache)

    assert run("hash-a").cached == 0
    assert run("hash-a").cached == 1
    assert run("hash-b").cached == 0  # other audio for the same text: scored again


def test_transcript_of_a_passage_that_stops_mid_sentence_loses_its_closing_period():
    from salad.evaluation.spoken import split_context

    part = split_context("She opened the door and saw")
    assert part.with_text(" She opened the door and saw. ") == "She opened the door and saw"
    closed = split_context("Question: Is the sky blue?\nAnswer:")
    assert closed.with_text("Is the sky blue?") == "Question: Is the sky blue?\nAnswer:"
