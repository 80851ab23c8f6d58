"""Reference gaps: the trained student between the untrained student (floor) and the cascade
(topline), and the share of that distance training closed."""

from __future__ import annotations

import math

import pytest

from salad.reporting import load_results
from salad.reporting.reference import closed_share, reference_summary

from .helpers.eval_results import write_eval_results

SPEECH, CASCADE = "student_speech@piper:joe", "cascade@piper:joe"


def test_closed_share_runs_from_floor_to_topline():
    assert closed_share(0.2, 0.2, 0.0) == 0.0
    assert closed_share(0.2, 0.0, 0.0) == 1.0
    assert closed_share(0.2, 0.15, 0.0) == pytest.approx(0.25)
    assert closed_share(0.2, 0.3, 0.0) == pytest.approx(-0.5)  # worse than untrained
    assert math.isnan(closed_share(0.0, 0.1, 0.1))  # the cascade is not ahead: no distance
    assert math.isnan(closed_share(math.nan, 0.1, 0.0))


def test_reference_summary_table_and_sentence(tmp_path):
    trained = load_results(write_eval_results(tmp_path / "t", "t", {
        "piqa": {"teacher_text": (.6, .6), SPEECH: (.5, .5), CASCADE: (.6, .6)},
        "arc": {"teacher_text": (.3, .3), SPEECH: (.3, .3), CASCADE: (.2, .2)}}))
    untrained = load_results(write_eval_results(tmp_path / "u", "u@initial", {
        "piqa": {"teacher_text": (.6, .6), SPEECH: (.4, .4)},
        "arc": {"teacher_text": (.3, .3), SPEECH: (.2, .2)}}))
    lines = reference_summary(trained, untrained)
    text = "\n".join(lines)
    # pooled over 200 items: untrained gap .15, trained .05, cascade .05 -> all of it closed
    assert lines[0].startswith("Training closed 100% of the distance from the untrained "
                               "student's pooled gap (+.150) to the cascade's (+.050)")
    assert "| piqa | +.200 [" in text and "| 50% |" in text  # (.2 - .1) / (.2 - 0)
    assert "| arc | +.100 [" in text and "| n/a |" in text  # cascade behind teacher: no share
    assert "| all items (200) |" in text


def test_a_student_worse_than_untrained_closed_none(tmp_path):
    trained = load_results(write_eval_results(tmp_path / "t", "t", {
        "piqa": {"teacher_text": (.6, .6), SPEECH: (.4, .4), CASCADE: (.6, .6)}}))
    untrained = load_results(write_eval_results(tmp_path / "u", "u@initial", {
        "piqa": {"teacher_text": (.6, .6), SPEECH: (.5, .5)}}))
    (sentence, *_) = reference_summary(trained, untrained)
    assert sentence == ("The trained student's pooled gap (+.200) is wider than the untrained "
                        "student's (+.100): training closed none of the distance to the "
                        "cascade's (+.000); share -100%.")
