"""Stage I with bad items in its training manifest: they are skipped and counted with their
reasons in a failures file, and training ends with finite weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salad.cli.main import main

from ..helpers.tiny_run import halves_manifests, stage1_recipe, tone_manifest
from .conftest import tone, write_wav

torch = pytest.importorskip("torch")


@pytest.mark.slow
def test_nan_empty_truncated_audio_and_empty_text_are_skipped(tmp_path, tiny_lm_dir,
                                                              salad_write_recipe, capsys):
    train = tone_manifest(tmp_path, "train", 16, 0)
    held = halves_manifests(tmp_path, 8, 1)
    nan = write_wav(tmp_path / "nan.wav", np.full(8000, np.nan, np.float32), subtype="FLOAT")
    empty = write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32))
    whole = write_wav(tmp_path / "whole.wav", tone(1.0)).read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 3])
    good = write_wav(tmp_path / "quiet.wav", tone(0.6))
    rows = [{"id": "nan", "audio": str(nan), "text": "not a number"},
            {"id": "empty", "audio": str(empty), "text": "nothing"},
            {"id": "cut", "audio": str(tmp_path / "cut.wav"), "text": "cut short"},
            {"id": "silent-text", "audio": str(good), "text": ""}]
    with open(train, "a") as fh:
        fh.writelines(json.dumps({**r, "domains": ["d"]}) + "\n" for r in rows)
    recipe = salad_write_recipe(stage1_recipe(tmp_path, tiny_lm_dir, "bad-items", train, held,
                                              2))
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert "utterances skipped" in capsys.readouterr().err
    failures = [json.loads(x) for x in (run_dir / "stage1" / "failures.jsonl").open()]
    reasons = {f["id"]: f["reason"] for f in failures}
    assert reasons["nan"] == "non-finite audio samples (NaN or inf)"
    assert reasons["empty"] == "empty audio (0 samples)"
    assert "truncated WAV" in reasons["cut"]
    assert reasons["silent-text"] == "field 'text' must be a non-empty string (empty)"
    assert len(failures) == 5  # and the helper's row without audio
    assert "5 utterances skipped in all" in (run_dir / "report.md").read_text()
    from safetensors.torch import load_file

    weights = load_file(str(run_dir / "stage1" / "checkpoints" / "final" / "model.safetensors"))
    assert weights and all(bool(w.isfinite().all()) for w in weights.values())
    history = json.loads((run_dir / "stage1" / "history.json").read_text())["history"]
    assert all(np.isfinite(h["misalignment"]) for h in history)
