"""Paired bootstrap intervals of the text-speech gap."""

from __future__ import annotations

import math

import pytest

from salad.evaluation.stats import paired_gap


def test_identical_modes_have_zero_gap_and_degenerate_interval():
    ref = {f"i{k}": k % 3 == 0 for k in range(30)}
    got = paired_gap(ref, dict(ref))
    assert got == {"value": 0.0, "ci95": [0.0, 0.0], "n": 30}


def test_gap_is_difference_on_common_items_and_interval_covers_it():
    ref = {f"i{k}": True for k in range(100)}
    other = {f"i{k}": k % 4 != 0 for k in range(100)}  # 75% right
    other["extra"] = False  # not scored by the reference: ignored
    got = paired_gap(ref, other, resamples=4000, seed=1)
    assert got["n"] == 100
    assert got["value"] == pytest.approx(0.25)
    lo, hi = got["ci95"]
    assert lo < 0.25 < hi
    # binomial standard error sqrt(.25 * .75 / 100) = .043: a 95% interval spans about 0.17
    assert 0.12 < hi - lo < 0.22


def test_interval_is_seeded_and_empty_overlap_is_nan():
    ref = {f"i{k}": k % 2 == 0 for k in range(40)}
    other = {f"i{k}": k % 3 == 0 for k in range(40)}
    assert paired_gap(ref, other, seed=3) == paired_gap(ref, other, seed=3)
    empty = paired_gap(ref, {"x": True})
    assert empty["n"] == 0 and math.isnan(empty["value"])


def test_pooled_gap_pairs_items_across_benchmarks():
    from salad.evaluation.stats import pooled_gaps

    rows = []
    for bench, n, speech_right in (("a", 40, 30), ("b", 60, 20)):  # same item ids in both
        for k in range(n):
            rows.append({"benchmark": bench, "mode": "teacher_text", "item": str(k),
                         "correct_norm": True})
            rows.append({"benchmark": bench, "mode": "speech", "item": str(k),
                         "correct_norm": k < speech_right})
    got = pooled_gaps(rows, "correct_norm", resamples=2000, seed=0)
    assert set(got) == {"speech"} and got["speech"]["n"] == 100
    assert got["speech"]["value"] == pytest.approx(1 - 50 / 100)
    lo, hi = got["speech"]["ci95"]
    assert lo < 0.5 < hi and hi - lo < 0.25
    assert pooled_gaps([r for r in rows if r["mode"] == "speech"], "correct_norm") == {}
