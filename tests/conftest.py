from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def run_salad(*args: str, env: dict | None = None, cwd: Path | None = None):
    """Run the ``salad`` CLI in a fresh interpreter; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "salad.cli.main", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd or REPO, timeout=300)


@pytest.fixture
def fake_distribution(tmp_path):
    """Make a fake installed distribution with a ``salad.plugins`` entry point.

    Returns ``make(dist_name, module_name, source) -> env`` where env puts it on PYTHONPATH,
    so that a subprocess discovers it exactly as it would discover a pip-installed plugin.
    """
    site = tmp_path / "site"
    site.mkdir()

    def make(dist: str, module: str, source: str, ep_name: str | None = None) -> dict:
        (site / f"{module}.py").write_text(source, encoding="utf-8")
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[salad.plugins]\n{ep_name or module} = {module}\n", encoding="utf-8")
        path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
        return {"PYTHONPATH": path}

    return make


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory) -> Path:
    """A tiny random Llama checkpoint + tokenizer on disk (loaded through salad.hf_lm.v1)."""
    from salad.testing.tiny_llama import write_tiny_llama

    return write_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture
def tiny_lm(tiny_lm_dir):
    """``tiny_lm(kind="teacher_lm" | "student_lm", **config)`` builds the tiny LM."""
    from salad.core.plugin_host import get_host

    def build(kind: str = "teacher_lm", **config):
        return get_host().registry(kind).build("salad.hf_lm.v1",
                                               {"model": str(tiny_lm_dir), **config})

    return build
