"""``salad report --stage2``: Stage II runs grouped by selection, mean ± sd over seeds."""

import json

import pytest
import yaml

from salad.cli.main import main
from salad.core.errors import SaladError
from salad.reporting.stage2_seeds import build_stage2_report, load_stage2_run

REFERENCE = {"final": {"broad/misalignment": 1.0, "broad/share_matched": 0.5, "forgetting": 0.02},
             "pre-decay": {"broad/misalignment": 1.1, "broad/share_matched": 0.4,
                           "forgetting": 0.01}}


def _run(tmp_path, name, mode, seed, m, reference=REFERENCE):
    run = tmp_path / name
    (run / "stage2").mkdir(parents=True)
    (run / "stage2" / "summary.json").write_text(json.dumps({
        "reference": reference, "selection": {"texts": 400, "hours": 0.25},
        "final": {"broad/misalignment": m, "broad/share_matched": 0.6, "forgetting": 0.03}}))
    (run / "stage2" / "selection.json").write_text(json.dumps(
        {"mode": mode, "gamma": 5.0 if mode == "active" else 0.0}))
    (run / "recipe.yaml").write_text(yaml.safe_dump({"stages": [
        {"name": "stage1", "config": {}},
        {"name": "stage2", "config": {"selection": {"mode": mode, "seed": seed}}}]}))
    return run


def test_groups_by_selection_with_mean_and_sd(tmp_path):
    runs = [_run(tmp_path, "a0", "active", 0, 0.90), _run(tmp_path, "a1", "active", 1, 0.94),
            _run(tmp_path, "u0", "uniform", 0, 0.97)]
    doc, summary = build_stage2_report(runs, tmp_path / "out")
    active = summary["groups"]["active, gamma 5"]["broad/misalignment"]
    assert active["mean"] == pytest.approx(0.92) and active["sd"] == pytest.approx(0.02 ** 0.5 / 5)
    assert active["seeds"] == [0.90, 0.94]
    assert summary["groups"]["uniform, gamma 0"]["broad/misalignment"]["mean"] == 0.97
    table = doc.sections[0].blocks[0]
    assert table.header == ["held-out metric", "Stage I final", "Stage I pre-decay",
                            "active, gamma 5 (2 seeds)", "uniform, gamma 0 (1 seeds)"]
    assert table.rows[0] == ["broad/misalignment", "1.0000", "1.1000", "0.9200 ± 0.0283",
                             "0.9700"]
    assert (tmp_path / "out" / "plots" / "stage2_misalignment.png").stat().st_size > 0
    assert load_stage2_run(runs[1]).seed == 1


def test_notes_runs_with_another_stage1_and_needs_a_finished_stage2(tmp_path):
    other = {**REFERENCE, "final": {**REFERENCE["final"], "broad/misalignment": 1.2}}
    runs = [_run(tmp_path, "a0", "active", 0, 0.9), _run(tmp_path, "x", "uniform", 0, 0.9, other)]
    doc, _ = build_stage2_report(runs, tmp_path / "out")
    notes = [b.text for b in doc.sections[0].blocks if hasattr(b, "text")]
    assert notes == [f"`{runs[1]}` continued from another Stage I: its reference metrics differ"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(SaladError, match="no stage2/summary.json"):
        load_stage2_run(tmp_path / "empty")


def test_cli(tmp_path, capsys):
    runs = [_run(tmp_path, "a0", "active", 0, 0.9), _run(tmp_path, "u0", "uniform", 0, 0.95)]
    assert main(["report", "--stage2", *map(str, runs), "--out", str(tmp_path / "out")]) == 0
    assert "| broad/misalignment | 1.0000 | 1.1000 | 0.9000 | 0.9500 |" in capsys.readouterr().out
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["runs"] == list(map(str, runs))
