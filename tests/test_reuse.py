"""``salad run --reuse``: a new run starts from another run's finished, unchanged stages."""

from __future__ import annotations

import json

import pytest

from salad.cli.main import main
from salad.core.errors import SaladError
from salad.reuse import reusable_stages

from .helpers.tiny_run import halves_manifests, stage1_recipe, tone_manifest


def _recipe(stages):
    return {"components": {"a": 1}, "seed": 0, "sample_rate": 16000, "device": "cpu",
            "plugins": [], "stages": [{"name": n, "config": c} for n, c in stages]}


def test_leading_unchanged_finished_stages_are_reusable(tmp_path):
    for name in ("prep", "train"):
        (tmp_path / name).mkdir()
    source = _recipe([("prep", {"n": 1}), ("train", {"lr": 1}), ("eval", {})])
    done = {"stages": {n: {"state": "done"} for n in ("prep", "train", "eval")}}
    assert reusable_stages(source, done, _recipe([("prep", {"n": 1}), ("train", {"lr": 1}),
                                                  ("eval", {"k": 2})]), tmp_path) == [
        "prep", "train"]
    assert reusable_stages(source, done, _recipe([("prep", {"n": 2}), ("train", {"lr": 1})]),
                           tmp_path) == []  # a later stage never skips a changed one
    assert reusable_stages(source, done, source, tmp_path) == ["prep", "train"]  # eval: no folder
    running = {"stages": {"prep": {"state": "done"}, "train": {"state": "running"}}}
    assert reusable_stages(source, running, source, tmp_path) == ["prep"]
    with pytest.raises(SaladError, match="components"):
        reusable_stages(source, done, {**source, "components": {"a": 2}}, tmp_path)


@pytest.mark.slow
def test_a_baseline_reuses_stage1_and_reruns_what_changed(tmp_path, tiny_lm_dir,
                                                          salad_write_recipe, capsys):
    train = tone_manifest(tmp_path, "train", 16, 0)
    held = halves_manifests(tmp_path, 8, 1)
    recipe = stage1_recipe(tmp_path, tiny_lm_dir, "tiny", train, held, 2)
    path = salad_write_recipe(recipe)
    first = tmp_path / "first"
    assert main(["run", str(path), "--run-dir", str(first)]) == 0
    capsys.readouterr()
    second = tmp_path / "second"
    assert main(["run", str(path), "--run-dir", str(second), "--reuse", str(first)]) == 0
    out = capsys.readouterr().out
    assert "reused from" in out and "stage stage1: already done" in out
    final = "stage1/checkpoints/final/model.safetensors"
    assert (second / final).stat().st_ino == (first / final).stat().st_ino  # linked, not redone
    assert "- reused from" in (second / "report.md").read_text()
    third = tmp_path / "third"  # a changed stage runs again
    assert main(["run", str(path), "stages.0.config.steps=1", "--run-dir", str(third),
                 "--reuse", str(first)]) == 0
    history = json.loads((third / "stage1" / "history.json").read_text())["history"]
    assert history[-1]["step"] == 1
    assert main(["run", str(path), "--run-dir", str(second), "--reuse", str(first)]) == 1
    assert "starts a new run directory" in capsys.readouterr().err
