"""The packages of salad form layers: no import cycle, the plugin host imports nothing above it,
the runner knows no stage, and validation never imports torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from .conftest import REPO

SALAD = REPO / "salad"


def _module(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if package else parts), package


def _imports(path: Path, module_level_only: bool) -> list[str]:
    """Absolute names of the salad modules ``path`` imports when it runs (``if TYPE_CHECKING``
    blocks do not run); with ``module_level_only``, only imports made when it is imported."""
    name, package = _module(path)
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if module_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                        ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if package else name.split(".")[:-1]
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.extend(f"{target}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return [t for t in found if t.split(".")[0] == "salad"]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "salad"


def _package_graph() -> dict[str, set[str]]:
    """Top-level package -> the top-level packages it imports (``salad/__init__``, the public
    facade that re-exports and loads lazily, is left out; so is ``salad.__version__``)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SALAD.rglob("*.py"):
        source = _package(_module(path)[0])
        if source == "salad":
            continue
        for target in map(_package, _imports(path, module_level_only=False)):
            if target not in (source, "salad", "__version__"):
                graph[source].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail, node, nxt]
            if nxt not in state and (found := walk(nxt, [*trail, node])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node, [])):
            return found
    return None


def test_packages_form_layers_without_cycles():
    graph = _package_graph()
    assert _cycle(graph) is None, f"import cycle between packages: {_cycle(graph)}"
    assert graph["core"] == set(), "the plugin host imports nothing else from salad"
    assert graph["data"] <= {"core"}
    assert not graph["runner"] & {"stages", "evaluation", "training", "recipe", "synthesis"}
    assert not graph["evaluation"] & {"runner", "stages", "recipe", "cli", "selection"}
    assert not graph["selection"] & {"runner", "stages", "recipe", "training", "synthesis"}
    assert not any("cli" in targets for targets in graph.values())


def test_no_module_import_cycle():
    graph: dict[str, set[str]] = defaultdict(set)
    modules = {_module(p)[0] for p in SALAD.rglob("*.py")}
    for path in SALAD.rglob("*.py"):
        source = _module(path)[0]
        for target in _imports(path, module_level_only=True):
            while target not in modules and "." in target:  # "pkg.module.name" -> "pkg.module"
                target = target.rsplit(".", 1)[0]
            if target != source and not source.startswith(target + "."):
                graph[source].add(target)
    assert _cycle(graph) is None, f"modules import each other: {_cycle(graph)}"


def test_every_module_imports_in_a_fresh_interpreter():
    modules = sorted(_module(p)[0] for p in SALAD.rglob("*.py"))
    code = ("import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
            "print(len(sys.argv) - 1)")
    out = subprocess.run([sys.executable, "-c", code, *modules], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == str(len(modules))


def test_validation_never_imports_torch():
    code = ("import sys; from salad.cli.main import main; rc = main(['validate', "
            "'recipes/mini/mini.yaml']); print(rc, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0 False", out.stdout + out.stderr
