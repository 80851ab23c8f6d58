"""The report at a glance: the headline (pooled gap with its interval, cascade, forgetting) and
chance levels in the accuracy plot and the tables, relative paths, no extrapolated fits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salad.reporting import load_results, markdown_summary, write_report
from salad.reporting import plots as plots_module
from salad.reporting.headline import headline

from .helpers.eval_results import scaling_history, training_block, write_eval_results

SPEECH, CASCADE = "student_speech@piper:joe", "cascade@piper:joe"
SCORES = {"openbookqa": {"teacher_text": (0.5, 0.5), "student_text": (0.5, 0.5),
                         SPEECH: (0.3, 0.3), CASCADE: (0.45, 0.45)},
          "piqa": {"teacher_text": (0.7, 0.7), "student_text": (0.68, 0.68),
                   SPEECH: (0.6, 0.6), CASCADE: (0.7, 0.7)}}


def _run(tmp_path, chance=0.35):
    training = training_block(scaling_history([1e3, 1e4, 1e5], forgetting=0.01))
    return write_eval_results(tmp_path / "run", "alpha1", SCORES, training=training,
                              chance=chance)


def test_headline_pools_all_items_and_names_cascade_and_forgetting(tmp_path):
    run = load_results(_run(tmp_path))
    text = headline(run)
    # 100 items each: teacher 50 + 70 right, speech 30 + 60, cascade 45 + 70, pooled over 200
    assert run.pooled_gap(SPEECH)[0] == pytest.approx((120 - 90) / 200)
    assert "alpha1 (acc_norm, 2 benchmarks pooled, paired bootstrap 95% intervals)" in text
    assert "student speech (piper:joe) is +.150 [" in text
    assert "over 200 items (the interval excludes 0)" in text
    assert "the cascade's gap (ASR transcript, then the teacher) is +.025 [" in text
    assert "forgetting F = 0.0100 nats/token (student text .590 vs teacher text .600" in text
    assert markdown_summary(run)[0] == text


def test_report_opens_with_the_headline(tmp_path):
    written = write_report([_run(tmp_path)], tmp_path / "out")
    md = written["markdown"].read_text()
    assert md.index("## At a glance") < md.index("## Runs")
    assert headline(load_results(tmp_path / "run")) in md
    summary = json.loads(written["summary"].read_text())
    assert summary["pooled_gaps"]["alpha1"][SPEECH]["n"] == 200


def test_results_without_pooled_gaps_say_so(tmp_path):
    path = _run(tmp_path)
    data = json.loads(path.read_text())
    del data["pooled_gaps"]
    assert "no pooled gap (written by an older salad eval" in markdown_summary(data)[0]


def test_results_without_the_teacher_say_which_mode_is_missing(tmp_path):
    speech_only = {b: {m: v for m, v in modes.items() if m != "teacher_text"}
                   for b, modes in SCORES.items()}
    path = write_eval_results(tmp_path / "run", "initial", speech_only)
    text = markdown_summary(json.loads(path.read_text()))[0]
    assert "no gap: the teacher's text mode was not scored" in text


def test_scores_at_or_below_chance_are_flagged_in_tables(tmp_path):
    md = write_report([_run(tmp_path)], tmp_path / "out")["markdown"].read_text()
    row = next(line for line in md.splitlines() if line.startswith("| openbookqa | 100 |"))
    assert row.startswith("| openbookqa | 100 | .350 | .500 / .500 | .500 / .500 | "
                          ".300 / .300 (<= chance) | .450 / .450 |")
    side = next(line for line in md.splitlines() if line.startswith("| openbookqa | .500"))
    assert "| .300 (<= chance) |" in side and side.count("(<= chance)") == 1


def test_accuracy_plot_draws_each_benchmarks_chance(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots_module, "_save", lambda fig, path: figures.append(fig) or path)
    plots_module.accuracy_bars(load_results(_run(tmp_path)), tmp_path / "acc.png")
    (ax,) = figures[0].axes
    (lines,) = [c for c in ax.collections if c.get_label() == "chance (guessing)"]
    assert [seg[0][1] for seg in lines.get_segments()] == [0.35, 0.35]
    figures.clear()
    plots_module.accuracy_bars(load_results(_run(tmp_path / "old", chance=None)),
                               tmp_path / "old.png")
    assert not [c for c in figures[0].axes[0].collections
                if c.get_label() == "chance (guessing)"]


def test_report_names_no_absolute_path(tmp_path):
    md = write_report([_run(tmp_path)], tmp_path / "out")["markdown"].read_text()
    assert "| alpha1 | ../run/eval/results.json | ../run/stage1/checkpoints/final |" in md
    assert str(tmp_path) not in md


@pytest.mark.parametrize("last_tokens,shown", [
    (1e6, "not reached (> 1,000,000 trained)"),  # M(D) is within 5% of E at 9e6 tokens
    (1e8, "9,000,000"),
])
def test_scaling_fit_is_not_extrapolated_past_the_data(tmp_path, last_tokens, shown):
    history = scaling_history(np.geomspace(1e3, last_tokens, 6), E=0.2, B=30.0, beta=0.5)
    write_eval_results(tmp_path / "run", "r", SCORES, training=training_block(history))
    md = write_report([tmp_path / "run"], tmp_path / "out")["markdown"].read_text()
    row = next(line for line in md.splitlines() if line.startswith("| r | 0.2000 |"))
    assert row.endswith(f"| {shown} | 6 |")


def test_text_right_speech_wrong_examples_with_audio_players(tmp_path):
    path = _run(tmp_path)
    items = path.parent / "items.jsonl"
    sound = tmp_path / "q.wav"
    sound.write_bytes(b"RIFF-test-audio")
    rows = [json.loads(line) for line in items.read_text().splitlines()]
    for row in rows:
        if row["mode"] == SPEECH:
            row.update(spoken=[f"question {row['item']}"], loglik=[-1.0, -2.0],
                       audio=[str(sound if row["item"] != "piqa/61" else tmp_path / "gone.wav")],
                       chosen=1, gold=0)
    items.write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = write_report([path], tmp_path / "out")
    md, page = written["markdown"].read_text(), written["html"].read_text()
    # teacher right and speech wrong: openbookqa items 30-49, piqa items 60-69
    assert "### alpha1: text right, speech wrong" in md
    listed = [line.split(" | ")[1] for line in md.splitlines()
              if line.startswith(("| openbookqa | openbookqa/", "| piqa | piqa/"))]
    assert listed == ["openbookqa/30", "piqa/60", "openbookqa/31", "piqa/61", "openbookqa/32",
                      "piqa/62", "openbookqa/33", "piqa/63"]
    assert "| openbookqa | openbookqa/30 | question openbookqa/30 | 1 | 0 | -1.00, -2.00 |" in md
    assert "[openbookqa openbookqa/30](../q.wav)" in md
    assert page.count('<audio controls preload="none" src="data:audio/wav;base64,') == 7
    assert "<p>piqa piqa/61 (audio file missing)</p>" in page
    assert "UklGRi10ZXN0LWF1ZGlv" in page  # the file's bytes, embedded
