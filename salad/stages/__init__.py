"""Pipeline stages: a table of named steps that a recipe lists in order.

Each stage is a package here with two modules:

- ``spec.py``: its pydantic config, the component slots it needs and its checks against them;
  torch-free, because ``salad validate`` reads it;
- ``run.py``: its wiring (``run(ctx, config)``): builds the components, calls the loop, writes
  the report lines. It is imported only when the stage runs.

=============  ==========================================================================
stage          where its loop lives
=============  ==========================================================================
inspect        ``inspect/run.py``
prepare_data   ``prepare_data/mini.py`` (text sets), :mod:`salad.synthesis` (speech)
align          :mod:`salad.training.align` (``AlignTrainer.run``)
stage1         :mod:`salad.training.stage1` (``Stage1Trainer.run``)
stage2         ``stage2/run.py`` (:mod:`salad.selection`, :mod:`salad.training.probe`, then
               ``Stage1Trainer.run`` from Stage I's ``pre-decay`` checkpoint)
evaluate       :mod:`salad.evaluation.suite` (``Evaluation.run``)
=============  ==========================================================================

``run`` receives a :class:`~salad.runner.RunContext` and the validated stage config, and hands
off to later stages through files in the run directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..core.errors import Problem

# (stage config, slot -> the ports its component declares) -> problems, located in the config.
StageCheck = Callable[[Any, Mapping[str, Mapping[str, Any]]], Iterable[Problem]]


@dataclass(frozen=True)
class StageDef:
    name: str
    config: type[BaseModel]
    run: str
    summary: str
    needs: tuple[str, ...] = ()
    check: StageCheck | None = None
    distributed: bool = False  # runs on every rank of a torchrun launch


def _table() -> dict[str, StageDef]:
    from .align.spec import ALIGN
    from .evaluate.spec import EVALUATE
    from .inspect.spec import INSPECT
    from .prepare_data.spec import PREPARE_DATA
    from .stage1.spec import STAGE1
    from .stage2.spec import STAGE2

    return {s.name: s for s in (INSPECT, PREPARE_DATA, ALIGN, STAGE1, STAGE2, EVALUATE)}


STAGES: dict[str, StageDef] = _table()
