"""Every recipe under recipes/ validates with `salad validate`, offline (nothing is downloaded:
the hub is switched off for the subprocess, and validation builds no component)."""

from __future__ import annotations

import pytest

from .conftest import REPO, run_salad

RECIPES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "recipes").rglob("*.yaml"))
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


PAPER = [f"recipes/paper/salad-{size}{variant}.yaml" for size in ("3b", "7b")
         for variant in ("", "-alpha0", "-uniform")]


def test_the_paper_recipes_are_there():
    assert set(PAPER) <= set(RECIPES)


@pytest.mark.parametrize("recipe", PAPER)
def test_paper_recipes_run_stage2_with_the_papers_settings(recipe):
    """Stage I, then Stage II from its pre-decay checkpoint (K = 128 balanced, gamma 5, 1% of
    the 141k hours), both trained with FSDP2, then evaluation of Stage II's student beside
    Stage I's."""
    from salad.recipe import load_recipe

    r = load_recipe(REPO / recipe).data
    stages, components = r["stages"], r["components"]
    assert [s["name"] for s in stages] == ["stage1", "stage2", "evaluate"]
    assert components["embedder"]["config"]["model"] == "BAAI/bge-large-en-v1.5"
    assert components["clustering"]["config"] == {"n_clusters": 128, "balanced": True}
    assert components["tts"]["name"] == "salad.kokoro_tts.v1"
    stage2 = stages[1]["config"]
    assert stage2["selection"]["gamma"] == 5.0 and stage2["selection"]["hours"] == 1410
    assert stage2["selection"]["mode"] == ("uniform" if "uniform" in recipe else "active")
    assert stage2["pool"].startswith("data/paper/")
    assert stage2["train_manifest"] == stages[0]["config"]["train_manifest"]
    assert stage2["strategy"] == stages[0]["config"]["strategy"] == "fsdp"  # one torchrun launch
    evaluate = stages[2]["config"]
    assert (evaluate["checkpoint"], evaluate["baseline_checkpoint"]) == ("stage2/final", "final")


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_validates_offline(recipe):
    result = run_salad("validate", recipe, env=OFFLINE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout
