"""Where a stage's metrics go: ``metrics.jsonl``, TensorBoard event files and, when asked for,
Weights & Biases.

Every row a stage logs (:meth:`salad.runner.RunContext.log_metrics`) is appended to the run's
``metrics.jsonl``; its numeric values also become TensorBoard scalars in
``<run>/tensorboard/<stage>/``, tagged ``<split>/<key>`` (``<key>`` for a row without a split),
with the row's step as the global step. ``tensorboard --logdir <run>/tensorboard`` shows every
stage of a run as its own curve set. With ``salad run --wandb`` each stage is also a Weights &
Biases run (grouped by run directory; ``WANDB_PROJECT``, ``WANDB_MODE=offline`` and wandb's other
variables apply).
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
from pathlib import Path
from typing import Any

from .core.errors import SaladError

TENSORBOARD_DIR = "tensorboard"
WANDB_MISSING = ("Weights & Biases tracking needs the wandb package: "
                 "pip install 'salad-speech[wandb]'")


def require_wandb() -> None:
    """Raise a clear error when W&B tracking is asked for without the package."""
    if importlib.util.find_spec("wandb") is None:
        raise SaladError(WANDB_MISSING)


def scalars(row: dict[str, Any]) -> dict[str, float]:
    """The TensorBoard tags and values of one metrics row: its finite numbers (not booleans),
    tagged ``split/key``."""
    prefix = f"{row['split']}/" if isinstance(row.get("split"), str) else ""
    out = {}
    for key, value in row.items():
        if key in ("time", "stage", "step", "split") or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[prefix + key] = float(value)
    return out


class MetricsSink:
    """One stage's metrics: appended to ``metrics.jsonl`` and written as scalars."""

    def __init__(self, run_dir: Path, stage: str, wandb: bool = False):
        self.run_dir = Path(run_dir)
        self.stage = stage
        self.wandb = wandb
        self._writer = None
        self._wandb_run = None

    def log(self, step: int | None, values: dict[str, Any]) -> None:
        row = {"time": time.time(), "stage": self.stage, "step": step, **values}
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
        tags = scalars(row)
        if not tags:
            return
        self._tensorboard(row["time"], step or 0, tags)
        if self.wandb:
            self._log_wandb(step, tags)

    def _tensorboard(self, wall_time: float, step: int, tags: dict[str, float]) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        if self._writer is None:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter

            self._writer = EventFileWriter(str(self.run_dir / TENSORBOARD_DIR / self.stage))
        summary = Summary(value=[Summary.Value(tag=t, simple_value=v) for t, v in tags.items()])
        self._writer.add_event(Event(wall_time=wall_time, step=step, summary=summary))
        self._writer.flush()  # rows are rare (every few steps); a killed run keeps its curves

    def _log_wandb(self, step: int | None, tags: dict[str, float]) -> None:
        if self._wandb_run is None:
            require_wandb()
            import os

            import wandb

            run_name = self.run_dir.resolve().name
            self._wandb_run = wandb.init(
                project=os.environ.get("WANDB_PROJECT", "salad"), group=run_name,
                name=f"{run_name}/{self.stage}", id=f"{run_name}-{self.stage}", resume="allow",
                dir=str(self.run_dir), job_type=self.stage)
        self._wandb_run.log(tags, step=step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._wandb_run is not None:
            self._wandb_run.finish()
            self._wandb_run = None
