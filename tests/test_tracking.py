"""Metrics go to metrics.jsonl, TensorBoard event files (read back with TensorBoard's own reader)
and, with --wandb, Weights & Biases (offline mode)."""

from __future__ import annotations

import json
import time

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from salad.cli.main import main
from salad.tracking import MetricsSink

from .conftest import REPO


def _scalars(logdir) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_numbers_become_scalars_tagged_split_and_key(tmp_path):
    sink = MetricsSink(tmp_path, "stage1")
    sink.log(0, {"split": "train", "loss": 2.5, "lr_adapter": 1e-3, "tokens": 40,
                 "finite": False, "note": "text", "grad_norm": float("nan")})
    sink.log(2, {"split": "train", "loss": 1.5})
    sink.log(2, {"split": "heldout", "misalignment": 0.25})
    sink.log(None, {"components": 3})
    sink.close()
    scalars = _scalars(tmp_path / "tensorboard" / "stage1")
    assert sorted(scalars) == ["components", "heldout/misalignment", "train/loss",
                               "train/lr_adapter", "train/tokens"]
    assert scalars["train/loss"] == [(0, 2.5), (2, 1.5)]
    assert scalars["heldout/misalignment"] == [(2, 0.25)]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").open()]
    assert len(rows) == 4 and rows[0]["note"] == "text" and rows[0]["stage"] == "stage1"


def test_every_stage_run_writes_its_event_file(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["run", str(REPO / "recipes/examples/inspect.yaml"), "--run-dir",
                 str(run_dir)]) == 0
    scalars = _scalars(run_dir / "tensorboard" / "inspect")
    assert sorted(scalars) == ["components", "problems"]
    assert scalars["problems"] == [(0, 0.0)]


def test_wandb_without_the_package_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "wandb" else real(name, *a))
    assert main(["run", str(REPO / "recipes/examples/inspect.yaml"), "--run-dir",
                 str(tmp_path / "run"), "--wandb"]) == 1
    assert "pip install 'salad-speech[wandb]'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_wandb_offline_run_holds_the_metrics(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="the wandb extra is not installed (set-up installs it)")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run-a"
    run_dir.mkdir()
    sink = MetricsSink(run_dir, "stage1", wandb=True)
    sink.log(0, {"split": "train", "loss": 2.5})
    sink.log(1, {"split": "train", "loss": 1.5})
    sink.close()
    [record] = (run_dir / "wandb").glob("offline-run-*/run-run-a-stage1.wandb")
    deadline = time.monotonic() + 60  # wandb's service process may still be writing the file
    while b"train/loss" not in record.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert b"train/loss" in record.read_bytes()
