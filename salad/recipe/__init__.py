"""Recipes: YAML files that assemble registered components into a pipeline run."""

from .load import LoadedRecipe, load_recipe
from .schema import ComponentSpec, Recipe, StageSpec
from .validate import ResolvedComponent, ValidatedRecipe, validate_recipe

__all__ = [
    "ComponentSpec",
    "LoadedRecipe",
    "Recipe",
    "ResolvedComponent",
    "StageSpec",
    "ValidatedRecipe",
    "load_recipe",
    "validate_recipe",
]
