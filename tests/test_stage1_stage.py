"""The stage1 stage end to end through `salad run`: features, training, report, resume."""

from __future__ import annotations

import json

import pytest

from salad.cli.main import main

from .helpers.tiny_run import halves_manifests, stage1_recipe, tone_manifest


@pytest.mark.slow
def test_stage1_stage_runs_and_resumes(tmp_path, tiny_lm_dir, salad_write_recipe, capsys):
    train = tone_manifest(tmp_path, "train", 24, 0)
    held = halves_manifests(tmp_path, 12, 1)
    recipe = salad_write_recipe(stage1_recipe(tmp_path, tiny_lm_dir, "tiny", train, held, 4))
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    report = (run_dir / "report.md").read_text()
    assert "| misalignment (nats/token) |" in report
    assert "skipped" in report and "missing.wav" in report  # the broken row is reported
    history = json.loads((run_dir / "stage1" / "history.json").read_text())
    assert [h["step"] for h in history["history"]] == [0, 2, 4]
    assert (run_dir / "stage1" / "checkpoints" / "final" / "model.safetensors").exists()
    assert (run_dir / "stage1" / "metrics.png").exists()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    assert {r["split"] for r in rows if r["stage"] == "stage1"} == {"train", "heldout"}
    capsys.readouterr()
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert "stage stage1: already done" in capsys.readouterr().out
