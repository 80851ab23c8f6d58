"""Progress bars in logs: whole lines, at most one per interval, no escape codes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import yaml

from salad.data.progress import progress_bar
from salad.synthesis.config import SynthesisConfig

from .conftest import REPO
from .synthesis.conftest import job_config


def test_nested_bars_write_plain_lines_at_most_once_per_interval(capsys, monkeypatch):
    monkeypatch.setenv("SALAD_PROGRESS_INTERVAL", "0.2")
    start = time.monotonic()
    for _ in progress_bar(range(3), desc="outer", unit="set"):
        for _ in progress_bar(range(40), desc="inner", leave=False):
            time.sleep(0.01)
    seconds = time.monotonic() - start
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    assert lines and all(line.startswith(("outer:", "inner:")) for line in lines)
    assert len(lines) <= 2 * seconds / 0.2 + 2  # one line per bar and interval, at most
    assert lines[-1].startswith("outer: 100%|") and "3/3" in lines[-1]


def test_short_loops_print_nothing_in_a_log(capsys):
    for _ in progress_bar(range(1000), desc="quick"):
        pass
    assert capsys.readouterr().err == ""


def test_a_synthesis_job_logs_clean_lines_and_names_its_failures_file(tmp_path):
    config = {**job_config(tmp_path, n=12, fail_on="number 3"), "progress": True}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "SALAD_PROGRESS_INTERVAL": "0.1", "TONE_DELAY_S": "0.05"}
    out = subprocess.run([sys.executable, "-m", "salad.cli.main", "data", "synthesize",
                          str(path)], capture_output=True, text=True, env=env, cwd=REPO,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "\r" not in out.stderr and "\x1b" not in out.stderr
    bar = [line for line in out.stderr.splitlines() if line.startswith("synthesize:")]
    assert bar and "12/12" in bar[-1] and "failed=1" in bar[-1]
    assert f"failure details: {SynthesisConfig(**config).failures_path}" in out.stdout
