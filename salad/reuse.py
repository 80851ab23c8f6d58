"""Start a run from another run's finished stages (``salad run RECIPE --reuse RUN``).

A baseline that changes only a late stage (Stage II's selection mode, the evaluation's
benchmarks) need not redo the stages before it. Stages are reused in recipe order while they
match: the same components, seed, sample rate, device and plugins, the same stage name and
resolved config at the same position, every earlier stage reused too, and the stage done in the
source run with its files in its folder (``RUN/<stage>/``; the evaluate stage, which writes
``eval*/``, always runs again). A reused stage's folder is linked file by file (hard links where
the file system allows, copies otherwise) and its status entry copied, with a note naming the
source; the first stage that differs, and every stage after it, runs as usual.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .core.errors import SaladError
from .data.files import atomic_write_json, load_yaml_mapping

SHARED = ("components", "seed", "sample_rate", "device", "plugins")  # every stage depends on


def reusable_stages(source: dict[str, Any], status: dict[str, Any], target: dict[str, Any],
                    source_dir: Path) -> list[str]:
    """Names of the leading stages of ``target`` (a resolved recipe) that the run in
    ``source_dir`` (its resolved recipe ``source`` and ``status``) finished with the same inputs
    and whose files are in their stage folder; raises when the recipes differ in what every
    stage depends on."""
    differ = [key for key in SHARED if source.get(key) != target.get(key)]
    if differ:
        raise SaladError(f"cannot reuse stages: the recipes differ in {', '.join(differ)}, "
                         "which every stage depends on")
    names = []
    for old, new in zip(source.get("stages") or [], target.get("stages") or []):
        done = status.get("stages", {}).get(new["name"], {}).get("state") == "done"
        if old != new or not done or not (source_dir / new["name"]).is_dir():
            break
        names.append(new["name"])
    return names


def link_tree(src: Path, dst: Path) -> int:
    """Hard-link (or copy) every file under ``src`` into ``dst``; returns the file count."""
    count = 0
    for root, _, files in os.walk(src):
        out = dst / Path(root).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(root) / name, out / name)
            except OSError:  # another file system, or links not allowed
                shutil.copy2(Path(root) / name, out / name)
            count += 1
    return count


def reuse_stages(source_dir: Path, run_dir: Path, target: dict[str, Any]) -> list[str]:
    """Link the reusable stages of ``source_dir`` into the new ``run_dir`` and write its
    status; returns their names."""
    source_dir, run_dir = Path(source_dir), Path(run_dir)
    recipe, status_path = source_dir / "recipe.yaml", source_dir / "status.json"
    if not (recipe.is_file() and status_path.is_file()):
        raise SaladError(f"{source_dir}: not a run directory (no recipe.yaml and status.json)")
    if (run_dir / "status.json").exists():
        raise SaladError(f"{run_dir} is a run already; --reuse starts a new run directory")
    status = json.loads(status_path.read_text(encoding="utf-8"))
    names = reusable_stages(load_yaml_mapping(recipe, "run recipe"), status, target, source_dir)
    stages = {}
    for name in names:
        if (source_dir / name).is_dir():
            link_tree(source_dir / name, run_dir / name)
        entry = dict(status["stages"][name])
        entry["notes"] = [f"- reused from `{source_dir}`", *entry.get("notes", [])]
        stages[name] = entry
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / "status.json", {"stages": stages})
    return names
