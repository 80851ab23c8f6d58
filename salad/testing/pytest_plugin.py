"""Pytest fixtures for SALAD plugin authors (loaded through the ``pytest11`` entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def salad_host():
    """The plugin host with every installed plugin (entry points)."""
    from salad.core.plugin_host import get_host

    return get_host()


@pytest.fixture
def salad_isolated_host():
    """Build a host from explicit plugin modules only (no entry points):
    ``salad_isolated_host("my_pkg.hooks", "path/to/plugin.py")``."""
    from salad.core.plugin_host import PluginHost

    def make(*modules: str | Path):
        return PluginHost(autoload=False, modules=modules)

    return make


@pytest.fixture
def salad_write_recipe(tmp_path):
    """Write a recipe dict as YAML under tmp_path and return its path."""
    import yaml

    def write(data: dict, name: str = "recipe.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def salad_benchmarks_dir() -> Path:
    """Local benchmark JSONL files: ``$SALAD_BENCHMARKS_DIR``, else ``../shared/data/benchmarks``
    next to the checkout; skips the test when neither exists."""
    env = os.environ.get("SALAD_BENCHMARKS_DIR")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd().parent / "shared" / "data" / "benchmarks"]
    for c in candidates:
        if c.is_dir():
            return c
    pytest.skip("benchmark files not found; set SALAD_BENCHMARKS_DIR")
