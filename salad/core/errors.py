"""Exceptions raised by SALAD, each carrying enough context to act on."""

from __future__ import annotations

from dataclasses import dataclass


class SaladError(Exception):
    """Base class of every error SALAD raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a recipe: where (dotted location, optional file line) and what."""

    loc: str
    message: str
    line: int | None = None

    def format(self, source: str | None = None) -> str:
        where = ""
        if source and self.line is not None:
            where = f"{source}:{self.line}: "
        elif source:
            where = f"{source}: "
        return f"{where}{self.loc or '<recipe>'}: {self.message}"


class RecipeError(SaladError):
    """A recipe is invalid; lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"recipe {source} has {n} problem{'s' if n != 1 else ''}:" if source else (
            f"recipe has {n} problem{'s' if n != 1 else ''}:")
        lines = [head] + [f"  - {p.format(source)}" for p in self.problems]
        super().__init__("\n".join(lines))


class UnknownComponentError(SaladError):
    """A registry name that no installed plugin provides."""


class DuplicateComponentError(SaladError):
    """Two plugins registered the same registry name."""


class PluginLoadError(SaladError):
    """A plugin could not be imported or its hook failed."""
