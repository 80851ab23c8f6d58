"""Pipeline stages: a core table of named steps that a recipe lists in order.

Each stage has a pydantic config, the component slots it needs, and a ``run`` function named as
``"module:function"`` so that its heavy imports happen only when the stage runs. ``run`` takes a
:class:`~salad.runner.RunContext` and the validated stage config, and hands off to later stages
through files in the run directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class StageDef:
    name: str
    config: type[BaseModel]
    run: str
    summary: str
    needs: tuple[str, ...] = ()


def _table() -> dict[str, StageDef]:
    from .evaluate.spec import EVALUATE
    from .inspect.spec import INSPECT
    from .prepare_data.spec import PREPARE_DATA
    from .stage1.spec import STAGE1

    return {s.name: s for s in (INSPECT, PREPARE_DATA, STAGE1, EVALUATE)}


STAGES: dict[str, StageDef] = _table()
