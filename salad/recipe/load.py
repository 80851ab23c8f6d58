"""Load a recipe: YAML (safe) -> OmegaConf (interpolation, ``key=value`` overrides) -> dict.

Line numbers of every key are kept so that problems can point at ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..core.errors import Problem, RecipeError


@dataclass
class LoadedRecipe:
    """The resolved recipe as plain data, with where it came from."""

    data: dict[str, Any]
    path: Path | None
    overrides: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def line_of(self, loc: str) -> int | None:
        """Line of the closest enclosing key that appears in the file."""
        parts = loc.split(".") if loc else []
        while parts:
            key = ".".join(parts)
            if key in self.lines:
                return self.lines[key]
            parts.pop()
        return None


def _line_map(node: yaml.Node, prefix: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            out[key] = key_node.start_mark.line + 1
            _line_map(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = f"{prefix}.{i}"
            out[key] = item.start_mark.line + 1
            _line_map(item, key, out)


def load_recipe(
    source: str | Path | dict[str, Any], overrides: list[str] | tuple[str, ...] = ()
) -> LoadedRecipe:
    """Read, merge overrides and resolve interpolations; raise RecipeError on any failure."""
    path: Path | None = None
    lines: dict[str, int] = {}
    if isinstance(source, dict):
        raw = source
    else:
        path = Path(source)
        if not path.exists():
            raise RecipeError([Problem("", f"recipe file {path} does not exist")], str(path))
        text = path.read_text(encoding="utf-8")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise RecipeError(
                [Problem("", f"not valid YAML: {exc}", mark.line + 1 if mark else None)],
                str(path)) from None
        if node is not None:
            _line_map(node, "", lines)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise RecipeError([Problem("", "a recipe must be a YAML mapping")], str(path))
    where = str(path) if path else None
    problems = [Problem("", f"override {o!r} is not of the form key=value")
                for o in overrides if "=" not in o]
    if problems:
        raise RecipeError(problems, where)
    try:
        conf = OmegaConf.create(raw)
    except OmegaConfBaseException as exc:
        raise RecipeError([Problem("", f"cannot read: {exc}")], where) from None
    for override in overrides:
        key, _, value = override.partition("=")
        try:
            OmegaConf.update(conf, key.strip(), yaml.safe_load(value), merge=True)
        except (OmegaConfBaseException, yaml.YAMLError, TypeError, ValueError, KeyError,
                IndexError) as exc:
            problems.append(Problem(key.strip(), f"cannot apply override {override!r}: {exc}"))
    if problems:
        raise RecipeError(problems, where)
    try:
        data = OmegaConf.to_container(conf, resolve=True)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "") or ""
        msg = str(exc).splitlines()[0]
        raise RecipeError([Problem(str(key), f"cannot resolve: {msg}")], where) from None
    return LoadedRecipe(data=data, path=path, overrides=list(overrides), lines=lines)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
