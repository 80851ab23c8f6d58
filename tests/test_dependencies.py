"""Every core dependency declared in pyproject.toml is imported by salad."""

from __future__ import annotations

import ast
import importlib.metadata
import re

import pytest

from .conftest import REPO


def _imported_top_modules() -> set[str]:
    found = set()
    for path in (REPO / "salad").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_core_dependencies_are_used():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    modules_of: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    imported = _imported_top_modules()
    for requirement in declared:
        dist = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        assert modules_of.get(dist, set()) & imported, f"{dist} is declared but never imported"
