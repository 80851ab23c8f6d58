"""The synthesis job with a real (tiny) engine plugin: caching, resume after a kill, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salad.core.errors import SaladError
from salad.data.manifests import read_speech_manifest
from salad.synthesis import SynthesisConfig, run_synthesis

from .conftest import calls, job_config, manifest_ids

ROOT = Path(__file__).resolve().parents[2]


def _run_subprocess(cfg: dict, tmp: Path, env_extra: dict, **popen) -> subprocess.Popen:
    path = tmp / "job.json"
    path.write_text(json.dumps(cfg))
    env = {**os.environ, **env_extra}
    return subprocess.Popen([sys.executable, "-m", "salad.cli.main", "data", "synthesize",
                             str(path)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def test_manifest_audio_is_16k_cached_and_reused(tmp_path):
    import soundfile as sf

    cfg = job_config(tmp_path, n=6)
    summary = run_synthesis(SynthesisConfig(**cfg))
    assert (summary.written, summary.synthesized, summary.failed) == (6, 6, 0)
    records = read_speech_manifest(cfg["output"]).records
    assert len(records) == 6 and len(calls(tmp_path)) == 6
    for rec in records:
        info = sf.info(rec.audio)
        assert info.samplerate == 16000 and rec.sample_rate == 16000
        assert abs(info.frames / 16000 - rec.duration) < 1e-3 and rec.duration > 0.5
        assert rec.engine == "test.tone_tts.v1" and rec.voice in ("low", "high")
        assert rec.domains and rec.text.startswith("text number")
    # Another stage (new output) with the same texts and voices reuses every file.
    cfg2 = {**cfg, "output": str(tmp_path / "other" / "speech.jsonl")}
    again = run_synthesis(SynthesisConfig(**cfg2))
    assert (again.written, again.cache_hits, again.synthesized) == (6, 6, 0)
    assert len(calls(tmp_path)) == 6


def test_augmentation_changes_key_and_is_recorded(tmp_path):
    cfg = job_config(tmp_path, n=4)
    cfg["augment"] = {"speed": [0.9, 1.1], "gain_db": [-3, 0], "snr_db": [20, 30]}
    run_synthesis(SynthesisConfig(**cfg))
    recs = read_speech_manifest(cfg["output"]).records
    assert all(0.9 <= r.augmentation["speed"] <= 1.1 for r in recs)
    plain = job_config(tmp_path, n=4)
    plain["output"] = str(tmp_path / "plain.jsonl")
    run_synthesis(SynthesisConfig(**plain))
    assert len(calls(tmp_path)) == 8  # augmented audio is cached under its own key


def test_resume_after_kill_does_not_resynthesize(tmp_path):
    cfg = job_config(tmp_path, n=12)
    proc = _run_subprocess(cfg, tmp_path, {"TONE_EXIT_AFTER": "5"})
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 3, out
    first = manifest_ids(Path(cfg["output"]))
    assert len(first) == 4 and len(calls(tmp_path)) == 4  # the 5th call died before logging
    summary = run_synthesis(SynthesisConfig(**cfg))
    assert summary.skipped_done == 4 and summary.written == 8 and summary.synthesized == 8
    assert len(calls(tmp_path)) == 12  # 4 + 8: nothing synthesized twice
    final = manifest_ids(Path(cfg["output"]))
    assert len(final) == len(set(final)) == 12


def test_cached_but_unwritten_items_come_from_cache(tmp_path):
    cfg = job_config(tmp_path, n=5)
    run_synthesis(SynthesisConfig(**cfg))
    out = Path(cfg["output"])
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:2]) + "\n" + lines[2][:10])  # lost lines + torn last line
    summary = run_synthesis(SynthesisConfig(**cfg))
    assert (summary.skipped_done, summary.cache_hits, summary.synthesized) == (2, 3, 0)
    assert len(calls(tmp_path)) == 5
    assert sorted(manifest_ids(out)) == sorted(json.loads(x)["id"] for x in lines)


def test_bad_lines_and_engine_failures_are_reported_and_counted(tmp_path):
    bad = ["", "{not json", json.dumps({"id": "no-text"})]
    cfg = job_config(tmp_path, n=10, extra_lines=bad, fail_on="number 3 ",
                     silent_on="number 5 ")
    summary = run_synthesis(SynthesisConfig(**cfg))
    assert summary.written == 8 and summary.failed == 5
    assert summary.failures_by_engine == {"input": 3, "test.tone_tts.v1": 2}
    assert summary.failures_by_stage == {"input": 3, "synthesize": 1, "quality": 1}
    rows = [json.loads(x) for x in Path(summary.failures_file).read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    assert any(i.startswith("t003@") for i in by_id) and any(i.startswith("t005@") for i in by_id)
    empty, broken = (by_id[f"{tmp_path / 'texts.jsonl'}:{n}"] for n in (11, 12))
    assert "empty line" in empty["error"] and "invalid JSON" in broken["error"]
    assert "texts.jsonl:13" in by_id["no-text"]["error"]
    assert "silent" in next(r["error"] for i, r in by_id.items() if i.startswith("t005@"))
    # A rerun neither repeats nor re-reports them...
    again = run_synthesis(SynthesisConfig(**cfg))
    assert (again.failed, again.skipped_failed, again.written) == (0, 5, 0)
    # ...unless asked to retry (bad input lines stay reported, engine failures are retried).
    retry = run_synthesis(SynthesisConfig(**{**cfg, "retry_failed": True}))
    assert retry.failed == 2 and retry.skipped_failed == 3


def test_unknown_engine_fails_early_with_suggestion(tmp_path):
    cfg = job_config(tmp_path, n=2)
    cfg["voices"][0]["engine"] = "test.tone_ts.v1"
    with pytest.raises(SaladError, match="did you mean"):
        run_synthesis(SynthesisConfig(**cfg))


@pytest.mark.slow
def test_two_workers_killed_midway_then_resumed(tmp_path):
    n = 40
    cfg = job_config(tmp_path, n=n, workers=2)
    proc = _run_subprocess(cfg, tmp_path, {"TONE_DELAY_S": "0.05"}, start_new_session=True)
    deadline = time.time() + 60
    while len(calls(tmp_path)) < 10 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    written = set(manifest_ids(Path(cfg["output"])))
    before = len(calls(tmp_path))
    assert 0 < before < n
    summary = run_synthesis(SynthesisConfig(**{**cfg}))
    new_calls = calls(tmp_path)[before:]
    assert summary.skipped_done == len(written)
    assert summary.synthesized == len(new_calls)
    assert summary.synthesized + summary.cache_hits + summary.skipped_done == n
    texts_written = {r.text for r in read_speech_manifest(cfg["output"]).records if r.id in written}
    assert not {c.split("\t")[1] for c in new_calls} & texts_written
    final = manifest_ids(Path(cfg["output"]))
    assert len(final) == len(set(final)) == n


@pytest.mark.slow
def test_worker_crash_is_isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("TONE_EXIT_ON", "number 2 ")
    cfg = job_config(tmp_path, n=8, workers=2)
    summary = run_synthesis(SynthesisConfig(**cfg))
    assert summary.written == 7 and summary.failed == 1
    assert summary.failures_by_stage == {"worker": 1}
