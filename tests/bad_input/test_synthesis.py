"""Bad synthesis jobs through ``salad data synthesize``: located errors and a non-zero exit when
the job could not do what was asked; changed settings, concurrent jobs and kills on resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from salad.data.manifests import read_speech_manifest

from ..conftest import REPO
from ..synthesis.conftest import calls, job_config, manifest_ids, write_texts


def _config_file(tmp_path: Path, cfg: dict) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _rows(cfg: dict) -> list[dict]:
    return [json.loads(x) for x in Path(cfg["output"]).read_text().splitlines()]


def test_config_that_is_not_yaml_or_repeats_a_key(cli, tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("input: texts.jsonl\nvoices: [\n")
    rc, _, err = cli("data", "synthesize", str(path))
    assert rc == 1 and f"{path}:3: synthesis config is not valid YAML" in err
    path.write_text("input: a.jsonl\noutput: b.jsonl\ninput: c.jsonl\n")
    rc, _, err = cli("data", "synthesize", str(path))
    assert rc == 1 and f"{path}:3:" in err and "duplicate key 'input' (first at line 1)" in err


def test_prepare_mini_config_that_is_not_yaml(cli, tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text("narrow_train: 10\n  broad_pool: 5\n")
    rc, _, err = cli("data", "prepare-mini", "--config", str(path))
    assert rc == 1 and f"{path}:2: prepare-mini config is not valid YAML" in err


def test_unknown_voice_and_engine_config_key_stop_the_job_before_any_work(cli, tmp_path):
    cfg = job_config(tmp_path, n=3)
    cfg["voices"][0]["voice"] = "lo"
    cfg["voices"][1]["config"] = {**cfg["voices"][1]["config"], "loudness": 3}
    rc, _, err = cli("data", "synthesize", str(_config_file(tmp_path, cfg)))
    assert rc == 1 and "synthesis config" in err and "2 problems" in err
    assert "voices.0.engine: test.tone_tts.v1 has no voice 'lo'; did you mean 'low'?" in err
    assert "voices.1.config.loudness: unknown key 'loudness'" in err
    assert not Path(cfg["output"]).exists() and calls(tmp_path) == []


def test_empty_text_manifest_is_an_error(cli, tmp_path):
    cfg = job_config(tmp_path, n=0)
    Path(cfg["input"]).write_text("")
    rc, _, err = cli("data", "synthesize", str(_config_file(tmp_path, cfg)))
    assert rc == 1 and "holds no texts: nothing to synthesize" in err


def test_a_job_in_which_every_item_failed_exits_non_zero(cli, tmp_path):
    cfg = job_config(tmp_path, n=0, extra_lines=["{bad json", json.dumps({"id": "x"})])
    rc, out, err = cli("data", "synthesize", str(_config_file(tmp_path, cfg)))
    assert rc == 1 and "2 failed" in out and "every item failed" in err


def test_non_utf8_and_repeated_ids_in_the_text_manifest_become_failures(cli, tmp_path):
    cfg = job_config(tmp_path, n=4)
    with open(cfg["input"], "ab") as fh:
        fh.write(b'{"id": "t900", "text": "caf\xe9 au lait"}\n')
        fh.write(json.dumps({"id": "t001", "text": "another text"}).encode() + b"\n")
    rc, out, _ = cli("data", "synthesize", str(_config_file(tmp_path, cfg)))
    assert rc == 0 and "4 written" in out and "2 failed" in out
    assert {r["text"] for r in _rows(cfg)} == {f"text number {i} says hello" for i in range(4)}
    errors = [json.loads(x)["error"] for x in
              Path(cfg["output"] + ".failures.jsonl").read_text().splitlines()]
    assert any(":5: not UTF-8 (byte 0xe9" in e for e in errors)
    assert any(":6: duplicate id 't001' (first at line 2)" in e for e in errors)


def test_changed_engine_config_or_text_redoes_what_it_changes(cli, tmp_path):
    cfg = job_config(tmp_path, n=4)
    path = _config_file(tmp_path, cfg)
    assert cli("data", "synthesize", str(path))[0] == 0
    first = {r["id"]: r for r in _rows(cfg)}
    for voice in cfg["voices"]:
        voice["config"] = {**voice["config"], "char_s": 0.05}  # slower speech: other audio
    rc, out, _ = cli("data", "synthesize", str(_config_file(tmp_path, cfg)))
    assert rc == 0 and "4 written (4 synthesized" in out and "4 earlier rows redone" in out
    second = {r["id"]: r for r in _rows(cfg)}
    assert set(second) == set(first) and len(_rows(cfg)) == 4
    assert all(second[i]["duration"] > first[i]["duration"] for i in first)
    write_texts(Path(cfg["input"]), 4)
    lines = Path(cfg["input"]).read_text().splitlines()
    lines[2] = json.dumps({"id": "t002", "text": "a new text for this id"})
    Path(cfg["input"]).write_text("\n".join(lines) + "\n")
    rc, out, _ = cli("data", "synthesize", str(path.with_name("job.yaml")))
    assert rc == 0 and "1 written" in out and "3 already done" in out
    assert {r["text"] for r in _rows(cfg) if r["text_id"] == "t002"} == {"a new text for this id"}


def test_duplicate_rows_left_by_an_older_run_are_removed(cli, tmp_path):
    cfg = job_config(tmp_path, n=3)
    path = _config_file(tmp_path, cfg)
    assert cli("data", "synthesize", str(path))[0] == 0
    out = Path(cfg["output"])
    out.write_text(out.read_text() * 2)
    assert cli("data", "synthesize", str(path))[0] == 0
    ids = manifest_ids(out)
    assert len(ids) == len(set(ids)) == 3
    assert read_speech_manifest(out).errors == []


def _start(cfg: dict, tmp_path: Path, name: str, env: dict) -> subprocess.Popen:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(cfg))
    return subprocess.Popen([sys.executable, "-m", "salad.cli.main", "data", "synthesize",
                             str(path)], cwd=REPO, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_two_jobs_on_one_manifest_write_each_id_once(tmp_path):
    cfg = job_config(tmp_path, n=12)
    jobs = [_start(cfg, tmp_path, f"job{i}", {"TONE_DELAY_S": "0.05"}) for i in range(2)]
    outputs = [job.communicate(timeout=240)[0] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], outputs
    ids = manifest_ids(Path(cfg["output"]))
    assert len(ids) == len(set(ids)) == 12
    assert len(calls(tmp_path)) == 12  # the second job found everything done
    assert any("waiting for it to finish" in out for out in outputs)


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_a_job_with_workers_leaves_no_live_worker(tmp_path):
    cfg = job_config(tmp_path, n=40, workers=2)
    job = _start(cfg, tmp_path, "job", {"TONE_DELAY_S": "0.2"})
    deadline = time.time() + 120
    while len(calls(tmp_path)) < 4 and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    children = _children(job.pid)
    assert len(children) >= 2, "the job should be running its workers"
    job.kill()
    job.wait(timeout=30)
    deadline = time.time() + 15
    while any(map(_alive, children)) and time.time() < deadline:
        time.sleep(0.2)
    survivors = [p for p in children if _alive(p)]
    for pid in survivors:  # leave no process behind, even when the check fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "worker processes outlived the killed job"
    done = manifest_ids(Path(cfg["output"]))
    assert 0 < len(done) < 40 and len(done) == len(set(done))
