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
    config = stage1_recipe(tmp_path, tiny_lm_dir, "tiny", train, held, 4)
    recipe = salad_write_recipe(config)
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    report = (run_dir / "report.md").read_text()
    assert "| misalignment (nats/token) |" in report
    assert "skipped" in report and "missing.wav" in report  # the broken row is reported
    history = json.loads((run_dir / "stage1" / "history.json").read_text())
    assert [h["step"] for h in history["history"]] == [0, 2, 3, 4]  # 3: pre-decay
    assert (run_dir / "stage1" / "checkpoints" / "final" / "model.safetensors").exists()
    kept = list((tmp_path / "reading").glob("*.json"))  # beside the feature cache
    assert len(kept) == 2 * len(config["stages"][0]["config"]["heldout"])  # for Stage II
    assert (run_dir / "stage1" / "metrics.png").exists()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    assert {r["split"] for r in rows if r["stage"] == "stage1"} == {"train", "heldout"}
    capsys.readouterr()
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert "stage stage1: already done" in capsys.readouterr().out


@pytest.mark.slow
def test_align_then_stage1_through_the_ctc_adapter(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                   capsys):
    """The align stage trains the CTC head LM-free; Stage I starts from it, reads its
    transcripts and logs the reading metrics; evaluation can load the aligned adapter."""
    from salad.evaluation.run_models import load_models, resolve_target
    from salad.recipe import validate_recipe

    train = tone_manifest(tmp_path, "train", 24, 0)
    held = halves_manifests(tmp_path, 12, 1)
    recipe = stage1_recipe(tmp_path, tiny_lm_dir, "tiny-ctc", train, held, 2)
    recipe["components"]["adapter"] = {"name": "salad.ctc_adapter.v1", "config": {
        "input_dim": 40, "output_dim": 64, "width": 32, "num_layers": 1, "num_heads": 2}}
    speech, texts = halves_manifests(tmp_path, 12, 2)  # training halves (other texts)
    recipe["stages"][0]["config"]["train_halves"] = [
        {"name": "train", "speech": str(speech), "texts": str(texts)}]
    recipe["stages"][0]["config"]["mismatched_halves"] = 0.5
    recipe["stages"].insert(0, {"name": "align", "config": {
        "train_manifests": [str(train)], "heldout_manifests": [str(held[0])], "steps": 6,
        "batch_size": 8, "eval_every": 3, "checkpoint_every": 3,
        "feature_cache": str(tmp_path / "features")}})
    path = salad_write_recipe(recipe)
    run_dir = tmp_path / "run"
    assert main(["run", str(path), "--run-dir", str(run_dir)]) == 0
    report = (run_dir / "report.md").read_text()
    assert "held-out WER of the adapter's transcripts" in report
    assert "starts from the align stage" in report
    assert "| held: share_matched |" in report
    assert ("24 training halves (spoken first half, text second half) and 12 with another "
            "text's first half spoken" in report)
    aligned = json.loads((run_dir / "align" / "history.json").read_text())
    assert [h["step"] for h in aligned["history"]] == [3, 6]
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    held_rows = [r for r in rows if r["stage"] == "stage1" and r["split"] == "heldout"]
    assert held_rows and all(0 < r["held/positions"] for r in held_rows)
    assert all(key in held_rows[0] for key in ("held/content_gain", "held/share_mismatched",
                                               "held/misalignment_mismatched"))
    target, checkpoint = resolve_target(run_dir, "aligned")
    models = load_models(validate_recipe(target / "recipe.yaml"), checkpoint, speech=False)
    assert models.student_id.split("|weights=")[1].startswith("aligned:")
    # The same weights decoded otherwise are another model in the score cache.
    validated = validate_recipe(target / "recipe.yaml",
                                ["components.adapter.config.decoder=beam",
                                 f"components.adapter.config.texts=[{texts}]"])
    assert load_models(validated, checkpoint, speech=False).student_id != models.student_id


@pytest.mark.slow
def test_stage1_stage_under_torchrun_with_fsdp(tmp_path, tiny_lm_dir, salad_write_recipe):
    """`salad run` launched by torchrun on 2 CPU workers (gloo): rank 0 writes the run
    directory; the final checkpoint is a DCP folder with the trainable weights beside it."""
    import os
    import socket
    import subprocess
    import sys

    from .conftest import REPO

    train = tone_manifest(tmp_path, "train", 24, 0)
    held = halves_manifests(tmp_path, 12, 1)
    recipe = stage1_recipe(tmp_path, tiny_lm_dir, "tiny-fsdp", train, held, 4)
    recipe["device"] = "cpu"
    recipe["stages"][0]["config"].update(strategy="fsdp", grad_accum=2)
    path = salad_write_recipe(recipe)
    run_dir = tmp_path / "run"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--master-port", port, "-m", "salad.cli.main", "run", str(path), "--run-dir",
         str(run_dir)], capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    history = json.loads((run_dir / "stage1" / "history.json").read_text())
    assert [h["step"] for h in history["history"]] == [0, 2, 3, 4]  # 3: pre-decay
    kept = list((tmp_path / "reading").glob("*.json"))  # rank 0 keeps the consolidated
    assert len(kept) == 2 * len(recipe["stages"][0]["config"]["heldout"])  # weights' metrics
    final = run_dir / "stage1" / "checkpoints" / "final"
    assert (final / ".metadata").exists() and (final / "model.safetensors").exists()
    assert "2 rank(s), strategy fsdp" in (run_dir / "report.md").read_text()
    assert result.stdout.count("stage stage1: done") == 1  # rank 0 alone echoes
