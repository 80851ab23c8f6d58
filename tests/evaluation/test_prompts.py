from __future__ import annotations

import pytest

from salad.core.items import BenchmarkItem
from salad.evaluation import PromptFormat, build_requests, render_shot, select_shots


def mc(i, gold=0):
    return BenchmarkItem(id=f"m-{i}", benchmark="toy", context=f"Question {i}?\nAnswer:",
                         choices=(f"a{i}", f"b{i}"), gold=gold)


POOL = [mc(i, gold=i % 2) for i in range(10)]


def test_zero_shot_requests():
    reqs = build_requests(POOL[0], [])
    assert [(r.context, r.continuation) for r in reqs] == [
        ("Question 0?\nAnswer:", " a0"), ("Question 0?\nAnswer:", " b0")]


def test_few_shot_prompt_layout():
    shots = [POOL[3], POOL[4]]
    reqs = build_requests(POOL[0], shots)
    assert reqs[1].context == ("Question 3?\nAnswer: b3\n\nQuestion 4?\nAnswer: a4\n\n"
                               "Question 0?\nAnswer:")
    assert reqs[1].continuation == " b0"


@pytest.mark.parametrize("k", [1, 3, 5])
def test_shots_exclude_item_and_are_seeded(k):
    for it in POOL:
        shots = select_shots(it, POOL, k, seed=7)
        assert len(shots) == k and it.id not in {s.id for s in shots}
        assert len({s.id for s in shots}) == k
        assert shots == select_shots(it, POOL, k, seed=7)
    assert any(select_shots(it, POOL, k, 7) != select_shots(it, POOL, k, 8) for it in POOL)


def test_shots_independent_of_scored_subset():
    """The draw depends on seed and item id only, so a subset run sees the same prompts."""
    it = POOL[5]
    assert select_shots(it, POOL, 3, 0) == select_shots(it, POOL, 3, 0)
    twin = BenchmarkItem("copy", "toy", it.context, it.choices, it.gold)
    assert all(s.id != "copy" for s in select_shots(it, POOL + [twin], 5, 0))


def test_shot_limits():
    with pytest.raises(ValueError, match="shots must be"):
        select_shots(POOL[0], POOL, 6, 0)
    with pytest.raises(ValueError, match="only 1 other"):
        select_shots(POOL[0], POOL[:2], 2, 0)


def test_partial_scoring_and_custom_format():
    wino = BenchmarkItem("w", "wino", "", ("got it.",), 1, contexts=("A so A", "A so B"))
    fmt = PromptFormat(shot_separator="\n")
    assert render_shot(wino, fmt) == "A so B got it."
    reqs = build_requests(wino, [wino.__class__("w2", "wino", "", ("ok.",), 0,
                                                contexts=("C", "D"))], fmt)
    assert [(r.context, r.continuation) for r in reqs] == [
        ("C ok.\nA so A", " got it."), ("C ok.\nA so B", " got it.")]
