"""The stage1 stage end to end through `salad run`: features, training, report, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salad.audio import write_audio
from salad.cli.main import main

WORDS = ["yes", "no", "maybe", "hello", "world", "speech", "text", "cat", "dog", "mat"]


def _manifest(folder, name, n, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS, 4))
        t = np.arange(int(16000 * rng.uniform(0.5, 1.0))) / 16000
        audio = (0.2 * np.sin(2 * np.pi * (150 + 40 * i) * t)).astype(np.float32)
        path = write_audio(folder / f"{name}{i}.wav", audio, 16000)
        rows.append({"id": f"{name}{i}", "audio": str(path), "text": text,
                     "duration": len(t) / 16000, "domains": ["d"]})
    rows.append({"id": "broken", "audio": str(folder / "missing.wav"), "text": "lost",
                 "duration": 1.0, "domains": ["d"]})
    out = folder / f"{name}.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


@pytest.mark.slow
def test_stage1_stage_runs_and_resumes(tmp_path, tiny_lm_dir, salad_write_recipe, capsys):
    train = _manifest(tmp_path, "train", 24, 0)
    held = _manifest(tmp_path, "held", 12, 1)
    lm = {"name": "salad.hf_lm.v1", "config": {"model": str(tiny_lm_dir)}}
    recipe = salad_write_recipe({
        "name": "tiny", "output_dir": str(tmp_path / "runs"),
        "components": {
            "encoder": {"name": "salad.fbank_encoder.v1", "config": {"n_mels": 40}},
            "adapter": {"name": "salad.mlp_adapter.v1",
                        "config": {"input_dim": 40, "output_dim": 64, "hidden_dim": 64}},
            "teacher": lm,
            "student": {**lm, "config": {**lm["config"], "training": "full"}},
            "loss": {"name": "salad.distill_mix.v1"},
            "scorer": {"name": "salad.kl_misalignment.v1"}},
        "stages": [{"name": "stage1", "config": {
            "train_manifest": str(train), "heldout_manifest": str(held), "steps": 4,
            "batch_size": 2, "eval_every": 2, "eval_examples": 3, "checkpoint_every": 2,
            "feature_cache": str(tmp_path / "features")}}],
    })
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
