"""Turn pydantic validation errors into located, actionable problems."""

from __future__ import annotations

import typing

from pydantic import BaseModel, ValidationError

from .errors import Problem, SaladError
from .suggest import did_you_mean


def _model_at(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the key at ``path`` (None when it cannot be told)."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return None
        ann = current.model_fields[part].annotation
        candidates = [ann, *typing.get_args(ann)]
        current = next((c for c in candidates
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current


def problems_from_validation(
    exc: ValidationError, prefix: str, model: type[BaseModel]
) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        dotted = ".".join([prefix, *map(str, loc)]) if prefix else ".".join(map(str, loc))
        if err["type"] == "extra_forbidden" and loc:
            key = str(loc[-1])
            owner = _model_at(model, loc[:-1])
            fields = list(owner.model_fields) if owner else []
            msg = f"unknown key {key!r}{did_you_mean(key, fields)}"
            if fields:
                msg += f" (valid keys: {', '.join(fields)})"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{err['msg'].removeprefix('Value error, ')} (got {err.get('input')!r})"
        out.append(Problem(dotted, msg))
    return out


def format_problems(where: str, problems: list[Problem]) -> str:
    n = len(problems)
    return (f"{where} has {n} problem{'s' if n != 1 else ''}:\n"
            + "\n".join(f"  - {p.format()}" for p in problems))


def validate_config(model: type[BaseModel], data: dict, where: str) -> BaseModel:
    """``model`` from ``data``, or one :class:`SaladError` listing every problem, located."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SaladError(format_problems(where, problems_from_validation(exc, "", model))) \
            from None
