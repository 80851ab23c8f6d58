"""Run directories and stage execution.

The runner knows stages only through the validated recipe (each stage's ``run`` is a
``"module:function"`` string imported when the stage runs); it imports nothing from
``salad.stages``, ``salad.evaluation`` or ``salad.training``.

A run directory holds everything needed to understand and repeat a run: the resolved recipe
(every default filled in), the plugins and versions used, the git revision, a status file that
makes runs resumable stage by stage, metrics (JSONL and TensorBoard, :mod:`salad.tracking`)
and a Markdown report.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .core.errors import SaladError
from .core.launch import env_world
from .data.files import atomic_write_json, atomic_write_text
from .tracking import MetricsSink, require_wandb

if TYPE_CHECKING:
    from .recipe import ValidatedRecipe


def git_revision(where: Path | None = None) -> dict[str, Any]:
    """The git revision of the SALAD source tree (or ``unknown`` outside a checkout)."""
    where = where or Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               check=True, timeout=10).stdout.strip()
        return {"revision": rev, "dirty": bool(dirty), "salad_version": __version__}
    except (OSError, subprocess.SubprocessError):
        return {"revision": "unknown", "dirty": None, "salad_version": __version__}


@dataclass
class RunContext:
    """What a stage gets: the run directory, the validated recipe and a metrics logger."""

    run_dir: Path
    validated: ValidatedRecipe
    stage: str = ""
    notes: list[str] = field(default_factory=list)
    wandb: bool = False
    _metrics: MetricsSink | None = field(default=None, init=False, repr=False)

    @property
    def recipe(self):
        return self.validated.recipe

    def stage_dir(self, name: str | None = None) -> Path:
        path = self.run_dir / (name or self.stage)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log_metrics(self, step: int | None = None, **values: Any) -> None:
        """Append a row to ``metrics.jsonl``; its numbers also become TensorBoard scalars
        (``split/key`` at ``step``) and, with W&B enabled, W&B metrics."""
        if self._metrics is None:
            self._metrics = MetricsSink(self.run_dir, self.stage, wandb=self.wandb)
        self._metrics.log(step, values)

    def close(self) -> None:
        """Close this stage's event file (and W&B run)."""
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    def note(self, line: str) -> None:
        """Add a line to this stage's section of the run report."""
        self.notes.append(line)


class Run:
    """Creates (or reopens) a run directory and executes the recipe's stages in order."""

    STATUS = "status.json"

    def __init__(self, validated: ValidatedRecipe, run_dir: Path | None = None,
                 wandb: bool = False):
        if wandb:
            require_wandb()
        self.validated = validated
        self.wandb = wandb
        if run_dir is None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            run_dir = Path(validated.recipe.output_dir) / f"{validated.recipe.name}-{stamp}"
        self.run_dir = Path(run_dir)
        self.status: dict[str, Any] = {"stages": {}}
        status_path = self.run_dir / self.STATUS
        if status_path.exists():
            self.status = json.loads(status_path.read_text(encoding="utf-8"))
            self._check_same_recipe()

    def _check_same_recipe(self) -> None:
        old = self.run_dir / "recipe.yaml"
        new = self.validated.resolved_yaml()
        if old.exists() and old.read_text(encoding="utf-8") != new:
            raise SaladError(
                f"{self.run_dir} was created from a different recipe; resuming it would mix "
                f"results. Use a new run directory, or compare with: diff {old} <(salad config "
                "show RECIPE --resolved)")

    def write_metadata(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.run_dir / "recipe.yaml", self.validated.resolved_yaml())
        host = self.validated.host
        atomic_write_json(self.run_dir / "plugins.json", {
            "components": [
                {"slot": c.slot, "name": c.record.name, "kind": c.kind,
                 "version": c.record.version, "distribution": c.record.distribution,
                 "plugin": c.record.entry_point}
                for comps in self.validated.components.values() for c in comps],
            "plugins_loaded": [vars(p) for p in host.plugins.values()],
            "plugin_failures": [{"plugin": f.plugin, "entry_point": f.entry_point,
                                 "error": f.error} for f in host.failures],
        })
        atomic_write_json(self.run_dir / "environment.json", {
            "git": git_revision(), "python": platform.python_version(),
            "platform": platform.platform(), "overrides": self.validated.loaded.overrides,
            "recipe_file": str(self.validated.loaded.path or ""),
        })

    def _save_status(self, write: bool = True) -> None:
        if write:
            atomic_write_json(self.run_dir / self.STATUS, self.status)

    def execute(self, echo=print) -> Path:
        """Run the stages not done yet. Under ``torchrun`` every rank runs the distributed
        stages; the first single-process stage not done ends the launch (before a distributed
        stage: an error; after one: a note to run the rest without torchrun). Only rank 0
        writes the run directory's files and echoes."""
        stages = self.validated.stage_configs
        world = env_world()
        if world.size > 1:
            stages = self._distributed_part(stages)
            if not world.main:
                echo = self._quiet
        if world.main:
            self.write_metadata()
        if not stages:
            echo("recipe lists no stages: run directory written, nothing to execute")
        for spec, config in stages:
            done = self.status["stages"].get(spec.name, {})
            if done.get("state") == "done":
                echo(f"stage {spec.name}: already done in {self.run_dir}, skipped")
                continue
            stage = self.validated.stage_defs[spec.name]
            module_name, _, func_name = stage.run.partition(":")
            run_fn = getattr(importlib.import_module(module_name), func_name)
            ctx = RunContext(self.run_dir, self.validated, stage=spec.name, wandb=self.wandb)
            echo(f"stage {spec.name}: {stage.summary}")
            start = time.time()
            self.status["stages"][spec.name] = {"state": "running", "started": start}
            self._save_status(world.main)
            try:
                run_fn(ctx, config)
            except BaseException as exc:
                self.status["stages"][spec.name] = {
                    "state": "failed", "started": start, "error": f"{type(exc).__name__}: {exc}"}
                self._save_status(world.main)
                raise
            finally:
                ctx.close()
            seconds = round(time.time() - start, 3)
            self.status["stages"][spec.name] = {
                "state": "done", "started": start, "seconds": seconds, "notes": ctx.notes}
            self._save_status(world.main)
            if world.main:
                self.write_report()
            for line in ctx.notes:
                echo(f"  {line}")
            echo(f"stage {spec.name}: done in {seconds:.0f} s (in {self.run_dir / 'report.md'})")
        if world.main:
            self.write_report()
        return self.run_dir

    def _distributed_part(self, stages):
        """The stages a ``torchrun`` launch runs: up to the first single-process stage that is
        not done, which must come after at least one distributed stage."""
        for i, (spec, _) in enumerate(stages):
            if (self.validated.stage_defs[spec.name].distributed
                    or self.status["stages"].get(spec.name, {}).get("state") == "done"):
                continue
            if not any(self.validated.stage_defs[s.name].distributed for s, _ in stages[:i]):
                raise SaladError(f"stage {spec.name} runs on one process: run it without "
                                 "torchrun first (salad run RECIPE --run-dir D), then launch "
                                 "torchrun on the same --run-dir (docs/cluster.md)")
            if env_world().main:
                print(f"stages from {spec.name} on run on one process: continue with salad run "
                      f"RECIPE --run-dir {self.run_dir} (without torchrun)")
            return stages[:i]
        return stages

    @staticmethod
    def _quiet(*args, **kwargs) -> None:
        """The echo of ranks other than 0."""

    def write_report(self) -> None:
        recipe = self.validated.recipe
        git = git_revision()
        lines = [f"# Run {self.run_dir.name}", "",
                 f"Recipe `{recipe.name}`" + (f": {recipe.description}" if recipe.description
                                              else ""), "",
                 f"SALAD {git['salad_version']}, git {git['revision'][:12]}"
                 + (" (dirty)" if git["dirty"] else ""), "", "## Components", "",
                 "| slot | component | version | distribution |", "| --- | --- | --- | --- |"]
        for comps in self.validated.components.values():
            for c in comps:
                lines.append(f"| {c.slot} | `{c.record.name}` | {c.record.version} | "
                             f"{c.record.distribution} |")
        lines += ["", "## Stages", ""]
        if not self.status["stages"]:
            lines.append("No stages ran.")
        for name, st in self.status["stages"].items():
            lines.append(f"### {name}: {st['state']}"
                         + (f" in {st['seconds']} s" if "seconds" in st else ""))
            lines += ["", *st.get("notes", []), ""]
        atomic_write_text(self.run_dir / "report.md", "\n".join(lines) + "\n")
