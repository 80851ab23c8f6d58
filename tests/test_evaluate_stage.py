"""`salad eval` and the evaluate stage end to end on tiny components: text, speech (two flite
voices), cascade (Whisper tiny.en), results, per-item rows, report, caching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salad.cli.main import main

from .helpers.tiny_run import halves_manifests, tiny_components, tone_manifest

ITEMS = Path(__file__).parent / "data" / "handmade_items" / "mc.jsonl"


def _eval_config(tmp_path, **extra):
    """Caches stay at their defaults, relative to the test's working directory (tmp_path)."""
    return {"benchmarks": [str(ITEMS)], "voices": ["flite:slt", "flite:kal"],
            "asr_model": "tiny.en", "limit": None, "progress": False, **extra}


def _results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())


def test_untrained_student_matches_teacher_on_text(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = salad_write_recipe({"name": "untrained", "output_dir": str(tmp_path / "runs"),
                                 "components": tiny_components(tiny_lm_dir)})
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert main(["eval", str(run_dir), "--modes", "teacher_text", "student_text",
                 "--benchmarks", str(ITEMS), "--limit", "all", "--no-progress"]) == 0
    out = run_dir / "eval"
    res = _results(out)
    assert res["schema"] == "salad.eval.v1" and res["checkpoint"] is None
    (bench,) = res["benchmarks"]
    teacher, student = bench["modes"]["teacher_text"], bench["modes"]["student_text"]
    assert teacher == student  # same weights: same scores item for item
    assert bench["gaps"]["student_text"]["value"] == 0.0
    assert bench["chance"] == pytest.approx((1 / 3 + 1 / 2 + 1 / 2) / 3)  # 3, 2 and 2 options
    assert res["pooled_gaps"] == {"student_text": {"value": 0.0, "ci95": [0.0, 0.0], "n": 3}}
    assert (out / "report.md").exists() and (out / "report.html").exists()


def test_bad_target_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 1
    assert "neither a run directory" in capsys.readouterr().err


@pytest.mark.slow
def test_stage1_then_evaluate_text_speech_cascade(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                  capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train = tone_manifest(tmp_path, "train", 16, 0)
    speech, texts = halves_manifests(tmp_path, 8, 1)
    recording = json.loads(train.read_text().splitlines()[0])["audio"]
    (tmp_path / "rec.jsonl").write_text(json.dumps(
        {"text": "What colour is a clear daytime sky?", "audio": recording}) + "\n")
    recipe = salad_write_recipe({
        "name": "tiny-eval", "output_dir": str(tmp_path / "runs"),
        "components": tiny_components(tiny_lm_dir),
        "stages": [
            {"name": "stage1", "config": {
                "train_manifest": str(train), "steps": 2,
                "heldout": [{"name": "held", "speech": str(speech), "texts": str(texts)}],
                "batch_size": 2, "eval_every": 1, "checkpoint_every": 1}},
            {"name": "evaluate", "config": _eval_config(
                tmp_path, recordings={"tone": str(tmp_path / "rec.jsonl")},
                untrained_reference=True, baseline_checkpoint="step-0000002",
                tts_workers=2)}],  # the voices spoken in two worker processes
    })
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    res = _results(run_dir / "eval")
    rec = res["benchmarks"][0]["modes"]["student_speech@rec:tone"]
    assert rec["n"] == 1  # the one item with a recording
    (bench,) = res["benchmarks"]
    modes = bench["modes"]
    assert set(modes) == {"teacher_text", "student_text", "student_speech@flite:slt",
                          "student_speech@flite:kal", "student_speech@rec:tone",
                          "cascade@flite:slt"}
    n_items = bench["n_items"]
    assert n_items == sum(1 for line in ITEMS.open() if line.strip())
    for mode in modes.values():
        assert mode["n"] + mode["skipped"] == n_items
    assert modes["cascade@flite:slt"]["wer"] < 0.5
    assert res["spoken"]["flite:slt"]["audio"] == res["spoken"]["flite:slt"]["texts"] > 0
    assert res["training"]["history"][-1]["step"] == 2
    rows = [json.loads(x) for x in (run_dir / "eval" / "items.jsonl").open()]
    assert len(rows) == sum(m["n"] for m in modes.values())
    for row in rows:  # the chosen option and every option's log-likelihood
        assert len(row["loglik"]) in (2, 3) and 0 <= row["chosen"] < len(row["loglik"])
        assert row["correct_norm"] == (row["chosen"] == row["gold"])
    heard = {r["mode"]: r for r in rows
             if r["mode"].endswith("flite:slt") and r["item"] == "mc-00001"}
    assert Path(heard["student_speech@flite:slt"]["audio"][0]).is_file()
    assert "transcript" not in heard["student_speech@flite:slt"]
    assert heard["student_speech@flite:slt"]["spoken"] == ["What colour is a clear daytime sky?"]
    cascade = heard["cascade@flite:slt"]
    assert len(cascade["audio"]) == len(cascade["transcript"]) == 1  # one shared context
    assert Path(cascade["audio"][0]).is_file() and cascade["transcript"][0].strip()
    report = (run_dir / "report.md").read_text()
    assert "| speech flite:slt |" in report
    assert "the gap teacher text minus student speech (flite:slt) is" in report
    assert "The evaluation report with plots: `eval/report.html`" in report
    # the untrained student in the main voice, and the reference gaps in the run's report
    untrained = _results(run_dir / "eval-initial")
    assert set(untrained["benchmarks"][0]["modes"]) == {"teacher_text", "student_speech@flite:slt"}
    assert untrained["checkpoint"] is None
    assert "| benchmark | untrained gap | trained gap | cascade gap | share closed |" in report
    assert "`eval-initial/report.md`" in report
    # the baseline checkpoint on the same items, side by side with the evaluated one
    baseline = _results(run_dir / "eval-step-0000002")
    assert baseline["checkpoint"].endswith("step-0000002")
    assert set(baseline["benchmarks"][0]["modes"]) == set(modes)
    assert "| benchmark | speech: step-0000002 | speech: final |" in report
    eval_report = (run_dir / "eval" / "report.md").read_text()
    assert "<results of" not in eval_report  # the report names the results file it read
    assert "| results.json | ../stage1/checkpoints/final |" in eval_report

    # a checkpoint inside the run: text modes only, everything else cached or skipped
    scores = tmp_path / ".cache" / "eval" / "scores.jsonl"
    before = scores.read_text().count("\n")
    ckpt = run_dir / "stage1" / "checkpoints" / "step-0000002"
    capsys.readouterr()
    assert main(["eval", str(ckpt), "--modes", "teacher_text", "--benchmarks", str(ITEMS),
                 "--limit", "all", "--no-progress"]) == 0
    assert (run_dir / "eval-step-0000002" / "results.json").exists()
    assert scores.read_text().count("\n") == before  # teacher scores came from the cache
    assert main(["eval", str(run_dir), "--checkpoint", "nope"]) == 1
    assert "found: final, step-0000002; or 'initial'" in capsys.readouterr().err


def test_training_summary_is_taken_at_the_evaluated_checkpoint(tmp_path):
    from salad.evaluation.run_models import training_summary

    history = [{"step": s, "tokens": 10 * s, "misalignment": 1.0 / (s + 1), "forgetting": s / 100}
               for s in (0, 20, 40)]
    (tmp_path / "stage1" / "checkpoints" / "step-0000020").mkdir(parents=True)
    (tmp_path / "stage1" / "history.json").write_text(json.dumps({"history": history}))
    (tmp_path / "stage1" / "checkpoints" / "step-0000020" / "trainer.json").write_text(
        json.dumps({"step": 20}))
    mid = training_summary(tmp_path, tmp_path / "stage1" / "checkpoints" / "step-0000020")
    assert (mid["step"], mid["tokens"], len(mid["history"])) == (20, 200, 2)
    initial = training_summary(tmp_path, None)
    assert (initial["misalignment"], initial["forgetting"], initial["tokens"]) == (1.0, 0.0, 0)
    assert training_summary(tmp_path / "elsewhere") is None
