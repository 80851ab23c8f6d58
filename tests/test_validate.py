"""Recipe validation: every problem in one report, with locations and suggestions."""

from __future__ import annotations

import pytest

from salad import RecipeError, validate_recipe
from salad.recipe import load_recipe

from .conftest import DATA, REPO, run_salad


def test_three_mistakes_reported_together_by_cli():
    out = run_salad("validate", str(DATA / "three_mistakes.yaml"))
    assert out.returncode != 0
    err = out.stderr
    assert "3 problems" in err
    # 1: unknown component name with a close match
    assert "components.loss.name: unknown loss 'salad.kl_distil.v1'" in err
    assert "did you mean 'salad.kl_distill.v1'" in err
    # 2: misspelled config key
    assert "components.adapter.config.downsampel: unknown key 'downsampel'" in err
    assert "did you mean 'downsample'" in err
    # 3: dimension mismatch between two components
    assert "components.adapter.config.input_dim: adapter input_dim 512" in err
    assert "encoder output_dim 80" in err
    # each problem names its file line
    assert "three_mistakes.yaml:11:" in err and "three_mistakes.yaml:13:" in err
    assert "three_mistakes.yaml:15:" in err


def test_valid_recipe_exits_zero():
    out = run_salad("validate", str(REPO / "recipes/mini/mini.yaml"))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout


def test_overrides_are_validated_and_located():
    with pytest.raises(RecipeError) as info:
        validate_recipe(REPO / "recipes/mini/mini.yaml",
                        ["components.loss.config.alpha=2", "stages.0.name=inspct", "seed=x"])
    locs = {p.loc for p in info.value.problems}
    assert locs == {"components.loss.config.alpha", "stages.0.name", "seed"}
    assert "did you mean 'inspect'" in str(info.value)


def test_structure_errors(salad_write_recipe):
    path = salad_write_recipe({
        "name": "x", "sed": 1,
        "components": {
            "encodr": {"name": "salad.fbank_encoder.v1"},
            "adapter": "salad.mlp_adapter.v1",
            "extra_tts": {"kind": "tts_engin", "name": "a.b.v1"},
            "benchmarks": [{"config": {}}],
        },
        "stages": "inspect",
    })
    with pytest.raises(RecipeError) as info:
        validate_recipe(path)
    text = str(info.value)
    assert "sed: unknown key 'sed'; did you mean 'seed'?" in text
    assert "slot 'encodr' is not a standard slot; did you mean 'encoder'?" in text
    assert "components.adapter: must be a mapping" in text
    assert "components.extra_tts.kind: unknown kind 'tts_engin'; did you mean 'tts_engine'?" in text
    assert "components.benchmarks.0.name: required key is missing" in text
    assert "stages: must be a list" in text


def test_custom_slot_with_kind_and_port_rule_for_sample_rate(salad_write_recipe):
    path = salad_write_recipe({
        "name": "x", "sample_rate": 24000,
        "components": {"encoder": {"name": "salad.fbank_encoder.v1"},
                       "second_loss": {"kind": "loss", "name": "salad.nll.v1"}},
    })
    with pytest.raises(RecipeError) as info:
        validate_recipe(path)
    assert len(info.value.problems) == 1
    assert "expects sample_rate 16000 but the recipe's sample_rate is 24000" in str(info.value)
    ok = validate_recipe(path, ["sample_rate=16000"])
    assert ok.component("second_loss").record.name == "salad.nll.v1"


def test_interpolation_and_missing_reference(salad_write_recipe):
    path = salad_write_recipe({
        "name": "x", "dims": {"frames": 40},
        "components": {
            "encoder": {"name": "salad.fbank_encoder.v1", "config": {"n_mels": "${dims.frames}"}},
            "adapter": {"name": "salad.mlp_adapter.v1",
                        "config": {"input_dim": "${dims.frames}"}}},
    })
    loaded = load_recipe(path)
    assert loaded.data["components"]["adapter"]["config"]["input_dim"] == 40
    with pytest.raises(RecipeError) as info:
        validate_recipe(path)  # 'dims' is not a recipe field
    assert "dims: unknown key" in str(info.value)
    bad = salad_write_recipe({"name": "x", "seed": "${nowhere}"}, "bad.yaml")
    with pytest.raises(RecipeError, match="cannot resolve"):
        load_recipe(bad)


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: x\ncomponents: [\n", encoding="utf-8")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in str(info.value)


def test_config_show_resolved_expands_defaults():
    out = run_salad("config", "show", str(REPO / "recipes/examples/inspect.yaml"), "--resolved",
                    "seed=7")
    assert out.returncode == 0, out.stderr
    assert "seed: 7" in out.stdout
    assert "hidden_dim: 1024" in out.stdout  # a default filled in


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_stage2_takes_a_distributed_strategy(strategy):
    """stage2 runs under torchrun like stage1: a recipe may train it with ddp or fsdp."""
    validated = validate_recipe(REPO / "recipes/mini/mini.yaml",
                                [f"stages.3.config.strategy={strategy}"])
    spec, config = validated.stage_configs[3]
    assert spec.name == "stage2" and config.strategy == strategy
    assert validated.stage_defs["stage2"].distributed
