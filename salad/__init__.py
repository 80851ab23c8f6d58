"""SALAD: adapt text LLMs to spoken input and close the text-speech understanding gap.

Importing ``salad`` is light: no torch, no model code. Heavy parts load when components are
built.
"""

from .core.errors import (
    DuplicateComponentError,
    PluginLoadError,
    Problem,
    RecipeError,
    SaladError,
    UnknownComponentError,
)
from .core.hookspecs import hookimpl
from .core.items import BenchmarkItem, ClusteringResult, TextRecord
from .core.kinds import KINDS
from .core.records import ComponentRecord

__version__ = "0.1.0"

# Loaded on first use so that plugin hook modules (which import ``salad``) stay light.
_LAZY = {
    "PluginHost": "core.plugin_host",
    "get_host": "core.plugin_host",
    "ValidatedRecipe": "recipe",
    "load_recipe": "recipe",
    "validate_recipe": "recipe",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'salad' has no attribute {name!r}")

__all__ = [
    "KINDS",
    "BenchmarkItem",
    "ClusteringResult",
    "ComponentRecord",
    "DuplicateComponentError",
    "PluginHost",
    "PluginLoadError",
    "Problem",
    "RecipeError",
    "SaladError",
    "TextRecord",
    "UnknownComponentError",
    "ValidatedRecipe",
    "get_host",
    "hookimpl",
    "load_recipe",
    "validate_recipe",
]
