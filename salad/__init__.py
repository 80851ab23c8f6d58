"""SALAD: adapt text LLMs to spoken input and close the text-speech understanding gap.

Importing ``salad`` is light: no torch, no model code. Heavy parts load when components are
built.
"""

from .errors import (
    DuplicateComponentError,
    PluginLoadError,
    Problem,
    RecipeError,
    SaladError,
    UnknownComponentError,
)
from .hookspecs import hookimpl
from .items import BenchmarkItem, ClusteringResult, TextRecord
from .kinds import KINDS
from .plugin_host import PluginHost, get_host
from .recipe import ValidatedRecipe, load_recipe, validate_recipe
from .records import ComponentRecord

__version__ = "0.1.0"

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
