"""Reading metrics on held-out halves: the content controls and their arithmetic."""

from __future__ import annotations

import json
import math

import pytest

from salad.data.text import split_half
from salad.training.reading import HalfItem, _Scored, load_halves, mismatch_pairs

torch = pytest.importorskip("torch")


def _oracle(lm, markers: bool = True):
    """A speech LM whose "frames" carry token ids and whose adapter outputs the LM's embeddings
    of them (a perfect reader), and 8 halves of 4 texts in 2 voices with their features."""
    from salad.speech.model import SpeechLM
    from salad.training.reading import HalvesSet

    torch.manual_seed(0)
    texts = ["red cat sat on the mat", "blue dog ran under a log", "big cat ran on a log",
             "small dog sat under the mat"]

    class Oracle(torch.nn.Module):
        boundary_markers = markers

        def forward(self, frames, lengths):
            return lm.embed(frames[..., 0].long()), lengths

    items, feats = [], {}
    for i, text in enumerate(texts * 2):
        first, rest = split_half(text)
        ids = lm.tokenize([first])[0]
        feats[f"h{i}"] = torch.tensor(ids, dtype=torch.float32)[:, None]
        items.append(HalfItem(f"h{i}", f"t{i % 4}", f"v{i // 4}", first, rest, len(ids)))
    return SpeechLM(Oracle(), lm).eval(), HalvesSet("oracle", items, mismatch_pairs(items)), feats


def test_a_perfect_reader_without_markers_reads_as_text_does(tiny_lm):
    from salad.core.plugin_host import get_host
    from salad.training.reading import reading_metrics

    lm = tiny_lm("student_lm")
    model, halves, feats = _oracle(lm, markers=False)
    scorer = get_host().registry("misalignment_scorer").build("salad.kl_misalignment.v1")
    out = reading_metrics(model, tiny_lm("teacher_lm"), scorer, halves,
                          lambda ids: [feats[i] for i in ids], batch_size=3)
    # the spans are the first halves' embeddings and nothing marks them: speech reads as text
    assert out["nll_matched"] == pytest.approx(out["nll_text"], abs=1e-5)
    assert out["nll_mismatched"] == pytest.approx(out["nll_text_mismatched"], abs=1e-5)
    assert out["nll_matched"] != pytest.approx(out["nll_none"], abs=1e-3)
    assert out["misalignment"] == pytest.approx(0.0, abs=1e-6)


def _item(i, text_id, voice, frames):
    return HalfItem(f"h{i}", text_id, voice, "a b", "c d", frames)


def test_split_half_keeps_every_word():
    assert split_half("one two three four five") == ("one two", "three four five")
    assert split_half("  a  b ") == ("a", "b")


def test_mismatch_is_another_text_in_the_same_voice_of_nearest_length():
    items = [_item(0, "t0", "v1", 10), _item(1, "t0", "v2", 10), _item(2, "t1", "v1", 30),
             _item(3, "t2", "v1", 12), _item(4, "t1", "v2", 50)]
    pairs = mismatch_pairs(items)
    assert pairs == [3, 4, 3, 0, 1]
    for i, j in enumerate(pairs):
        assert items[i].text_id != items[j].text_id and items[i].voice == items[j].voice


def test_mismatch_without_a_partner_is_an_error():
    with pytest.raises(Exception, match="no other item in voice"):
        mismatch_pairs([_item(0, "t0", "v1", 5), _item(1, "t1", "v2", 5)])


def test_shares_and_content_gain_follow_their_definitions():
    acc = _Scored()
    acc.positions, acc.f_positions = 10, 20
    for key, nll in {"none": 5.0, "text": 3.0, "matched": 3.5, "mismatched": 4.9,
                     "text_mismatched": 5.2}.items():
        acc.sums[key] = nll * 10
    acc.sums["f"] = 0.2 * 20
    out = acc.summary()
    assert out["share_matched"] == pytest.approx(0.75)       # (5 - 3.5) / (5 - 3)
    assert out["share_mismatched"] == pytest.approx(0.05)    # (5 - 4.9) / (5 - 3)
    assert out["content_gain"] == pytest.approx(1.4)         # 4.9 - 3.5
    assert out["share_text_mismatched"] == pytest.approx(-0.1)  # (5 - 5.2) / (5 - 3)
    assert out["forgetting"] == pytest.approx(0.2)
    acc.sums["text"] = acc.sums["none"]
    assert math.isnan(acc.summary()["share_matched"])        # text tells nothing: undefined


def test_load_halves_recovers_the_second_half_from_the_full_text(tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": f"t{i}", "text": f"w{i} x y z one two",
                                         "source": "s", "domains": []}) + "\n"
                             for i in range(3)))
    speech = tmp_path / "speech.jsonl"
    speech.write_text("".join(json.dumps({"id": f"h{i}", "audio": "a.wav", "text": f"w{i} x y",
                                          "text_id": f"t{i}#h1", "speaker": "v"}) + "\n"
                              for i in range(3)))
    halves = load_halves("set", speech, texts, {"h0": 5, "h1": 7, "h2": 9})
    assert [(h.first, h.rest) for h in halves.items][0] == ("w0 x y", "z one two")
    assert halves.mismatch == [1, 0, 1]
    assert len(load_halves("set", speech, texts, {"h0": 5, "h1": 7}).items) == 2  # h2: no frames
    rows = speech.read_text().splitlines()  # rows in another order: the same set
    speech.write_text("\n".join(rows[::-1]) + "\n")
    again = load_halves("set", speech, texts, {"h0": 5, "h1": 7, "h2": 9})
    assert again.items == halves.items and again.mismatch == halves.mismatch


def test_reading_metrics_score_the_second_half_after_each_prefix(tiny_lm):
    """Each condition's NLL equals a direct forward pass over its own sequence: BOS, then the
    first half as text, or the spoken span between the markers (matched or mismatched), or
    nothing; then the second half."""
    import torch.nn.functional as F

    from salad.core.plugin_host import get_host
    from salad.training.reading import reading_metrics

    lm = tiny_lm("student_lm", training="full")
    model, halves, feats = _oracle(lm)
    items = halves.items
    scorer = get_host().registry("misalignment_scorer").build("salad.kl_misalignment.v1")
    out = reading_metrics(model, tiny_lm("teacher_lm"), scorer, halves,
                          lambda ids: [feats[i] for i in ids], batch_size=3)

    def nll(prefix, rest_ids):
        seq = torch.cat([prefix, lm.embed(torch.tensor([rest_ids]))[0]])[None]
        with torch.no_grad():
            logits = lm.logits(lm.hidden_states(seq)[0])
        n = len(rest_ids)
        return float(F.cross_entropy(logits[-n - 1:-1].float(), torch.tensor(rest_ids),
                                     reduction="sum")), n

    bos = lm.embed(torch.tensor([[lm.bos_id]]))[0]
    marks = model.markers.detach()
    sums = dict.fromkeys(("none", "text", "matched", "mismatched", "text_mismatched"), 0.0)
    count = 0
    for i, it in enumerate(items):
        rest_ids = lm.tokenize([" " + it.rest])[0]
        first = lm.embed(torch.tensor([lm.tokenize([it.first])[0]]))[0]
        other = items[halves.mismatch[i]]
        other_first = lm.embed(torch.tensor([lm.tokenize([other.first])[0]]))[0]
        for key, prefix in (("none", bos), ("text", torch.cat([bos, first])),
                            ("matched", torch.cat([bos, marks[:1], first, marks[1:]])),
                            ("mismatched", torch.cat([bos, marks[:1], other_first, marks[1:]])),
                            ("text_mismatched", torch.cat([bos, other_first]))):
            total, n = nll(prefix, rest_ids)
            sums[key] += total
        count += n
    assert out["positions"] == count
    for key, total in sums.items():
        assert out[f"nll_{key}"] == pytest.approx(total / count, abs=1e-4), key
    assert out["forgetting"] == pytest.approx(0.0, abs=1e-5)  # the student is the teacher
    assert out["content_gain"] == pytest.approx(out["nll_mismatched"] - out["nll_matched"])


def test_per_item_sums_pool_back_to_the_set_metrics(tiny_lm):
    """reading_metrics' per-item sums add up to its set metrics; pooled() recomputes them, and
    the probe's per-cluster rows pool their own items."""
    from salad.core.plugin_host import get_host
    from salad.training.probe import cluster_reading
    from salad.training.reading import pooled, reading_metrics

    lm = tiny_lm("student_lm", training="full")
    model, halves, feats = _oracle(lm)
    items = halves.items
    scorer = get_host().registry("misalignment_scorer").build("salad.kl_misalignment.v1")
    per_item: list[dict] = []
    out = reading_metrics(model, tiny_lm("teacher_lm"), scorer, halves,
                          lambda ids: [feats[i] for i in ids], batch_size=3, per_item=per_item)
    assert len(per_item) == len(items)
    assert sum(p["positions"] for p in per_item) == out["positions"]
    again = pooled(per_item)
    for key in ("misalignment", "misalignment_mismatched", "content_gain", "share_matched",
                "nll_text", "nll_none", "nll_matched"):  # shares: NaN when text does not help
        assert again[key] == pytest.approx(out[key], rel=1e-5, abs=1e-6, nan_ok=True), key
    clusters = [0, 1, 0, 1, 0, 1, 0, 1]
    rows = cluster_reading(per_item, clusters, 3, resamples=200)
    for c in (0, 1):
        mine = [p for p, k in zip(per_item, clusters) if k == c]
        assert rows[c]["n"] == 4
        assert rows[c]["mean"] == pytest.approx(
            sum(p["m"] / p["positions"] for p in mine) / 4, rel=1e-6)
        assert rows[c]["content_gain"] == pytest.approx(pooled(mine)["content_gain"])
        assert rows[c]["ci95"][0] <= rows[c]["mean"] <= rows[c]["ci95"][1]
    assert rows[2]["n"] == 0 and math.isnan(rows[2]["mean"])


def test_batches_by_length_keep_each_items_sums_in_the_sets_order(tiny_lm):
    """Items are batched by length; each item's sums are reported at its own index and equal
    those of the item scored alone (only padding differs: float noise)."""
    from salad.core.plugin_host import get_host
    from salad.training.reading import length_order, reading_metrics

    lm = tiny_lm("student_lm", training="full")
    model, halves, feats = _oracle(lm)
    order = length_order(halves)
    sizes = [len(halves.items[i].first) + len(halves.items[i].rest) for i in order]
    assert sorted(order) == list(range(len(halves.items))) and sizes == sorted(sizes)[::-1]
    assert order != list(range(len(halves.items)))  # the set is not already in that order
    scorer = get_host().registry("misalignment_scorer").build("salad.kl_misalignment.v1")
    runs = {}
    for batch_size in (3, 1):
        per_item: list[dict] = []
        out = reading_metrics(model, tiny_lm("teacher_lm"), scorer, halves,
                              lambda ids: [feats[i] for i in ids], batch_size=batch_size,
                              per_item=per_item)
        runs[batch_size] = (out, per_item)
    (batched_out, batched), (alone_out, alone) = runs[3], runs[1]
    assert [p["positions"] for p in batched] == [
        len(lm.tokenize([" " + it.rest])[0]) for it in halves.items]
    for a, b in zip(batched, alone):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], abs=1e-4), key
    for key in ("nll_matched", "nll_mismatched", "misalignment", "forgetting"):
        assert batched_out[key] == pytest.approx(alone_out[key], abs=1e-5), key


def test_halves_windows_add_the_mismatched_speech_for_the_requested_share():
    from salad.training.reading import HalvesSet, halves_windows

    items = [HalfItem(f"h{i}", f"t{i}#h1", "v", f"first {i}", f"rest {i}", 10 + i)
             for i in range(4)]
    halves = HalvesSet("train", items, mismatch_pairs(items))
    plain = halves_windows(halves)
    assert [[u.id for u in w] for w in plain] == [[f"h{i}", f"t{i}#h2"] for i in range(4)]
    assert [w[0].text for w in plain] == [f"first {i}" for i in range(4)]
    crossed = halves_windows(halves, 0.5)[4:]
    assert len(crossed) == 2
    for w in crossed:
        own = int(w[1].id[1:].removesuffix("#h2"))
        other = halves.mismatch[own]
        # the spoken half is the mismatch's (id and text: the teacher reads what was said),
        # the continuation stays the item's own second half
        assert (w[0].id, w[0].text, w[1].text) == (f"h{other}", f"first {other}", f"rest {own}")
        assert other != own
    assert len(halves_windows(halves, 1.0)) == 8
