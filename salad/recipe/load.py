"""Load a recipe: YAML (safe; duplicate keys are errors) -> OmegaConf (interpolation,
``key=value`` overrides) -> dict.

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
from ..data.files import (
    NotUTF8Error,
    decode_utf8,
    parse_yaml,
    yaml_error_line,
    yaml_error_message,
)


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
        try:
            text = decode_utf8(path.read_bytes(), str(path))
        except NotUTF8Error as exc:
            raise RecipeError([Problem("", exc.reason, exc.line)], str(path)) from None
        try:
            raw, node = parse_yaml(text)
        except yaml.YAMLError as exc:
            raise RecipeError([Problem("", f"not valid YAML: {yaml_error_message(exc)}",
                                       yaml_error_line(exc))], str(path)) from None
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

