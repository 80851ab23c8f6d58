"""Every recipe under recipes/ validates with `salad validate`, offline (nothing is downloaded:
the hub is switched off for the subprocess, and validation builds no component)."""

from __future__ import annotations

import pytest

from .conftest import REPO, run_salad

RECIPES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "recipes").rglob("*.yaml"))
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def test_the_paper_recipes_are_there():
    assert {"recipes/paper/salad-3b.yaml", "recipes/paper/salad-7b.yaml",
            "recipes/paper/salad-3b-alpha0.yaml",
            "recipes/paper/salad-7b-alpha0.yaml"} <= set(RECIPES)


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_validates_offline(recipe):
    result = run_salad("validate", recipe, env=OFFLINE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout
