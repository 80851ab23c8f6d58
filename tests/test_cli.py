"""The command line: fast listing without torch, describe, run directories and resume."""

from __future__ import annotations

import json
import sys

import yaml

from salad.cli.main import main

from .conftest import REPO, run_salad


def test_plugins_list_does_not_import_torch():
    code = ("import sys; from salad.cli.main import main; rc = main(['plugins', 'list']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', rc)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip().endswith("NO-TORCH 0"), out.stdout[-300:]
    for name in ("salad.fbank_encoder.v1", "salad.mlp_adapter.v1", "salad.distill_mix.v1",
                 "salad.sklearn_kmeans.v1", "salad.kl_misalignment.v1"):
        assert name in out.stdout


def test_example_plugin_is_listed_when_installed():
    import importlib.util

    import pytest

    if importlib.util.find_spec("salad_example_kmeans") is None:
        pytest.skip("examples/salad-example-kmeans is not installed (CI installs it)")
    out = run_salad("plugins", "list", "--kind", "clustering")
    assert "example.spherical_kmeans.v1" in out.stdout
    assert "salad-example-kmeans" in out.stdout


def test_describe_shows_fields_defaults_and_docs(capsys):
    assert main(["plugins", "describe", "salad.mlp_adapter.v1"]) == 0
    text = capsys.readouterr().out
    assert "downsample: int = 4" in text and "Frames stacked" in text
    assert "ports (default config): input_dim=512" in text
    assert main(["plugins", "describe", "salad.mlp_adaptr.v1"]) == 1
    assert "did you mean 'salad.mlp_adapter.v1'" in capsys.readouterr().err


def test_run_writes_run_directory_and_resumes(tmp_path, capsys):
    run_dir = tmp_path / "run"
    recipe = str(REPO / "recipes/examples/inspect.yaml")
    assert main(["run", recipe, "--run-dir", str(run_dir), "seed=5"]) == 0
    for name in ("recipe.yaml", "plugins.json", "environment.json", "status.json",
                 "metrics.jsonl", "report.md", "inspect/components.json"):
        assert (run_dir / name).exists(), name
    resolved = yaml.safe_load((run_dir / "recipe.yaml").read_text())
    assert resolved["seed"] == 5
    assert resolved["components"]["adapter"]["config"]["hidden_dim"] == 1024
    plugins = json.loads((run_dir / "plugins.json").read_text())
    used = {c["name"]: c for c in plugins["components"]}
    assert used["salad.mlp_adapter.v1"]["distribution"] == "salad-speech"
    env = json.loads((run_dir / "environment.json").read_text())
    assert env["git"]["revision"] and env["overrides"] == ["seed=5"]
    status = json.loads((run_dir / "status.json").read_text())
    assert status["stages"]["inspect"]["state"] == "done"
    components = json.loads((run_dir / "inspect/components.json").read_text())
    assert {c["name"]: c["parameters"] for c in components}["salad.mlp_adapter.v1"] > 0
    printed = capsys.readouterr().out  # each stage ends by printing its report section
    assert "  | adapter | `salad.mlp_adapter.v1` | 919,104 | ok |" in printed
    assert "stage inspect: done in " in printed and f"(in {run_dir / 'report.md'})" in printed
    assert f"curves: tensorboard --logdir {run_dir / 'tensorboard'}" in printed
    # Rerunning the same recipe in the same directory skips finished stages.
    assert main(["run", recipe, "--run-dir", str(run_dir), "seed=5"]) == 0
    assert "already done" in capsys.readouterr().out
    # A different recipe may not reuse the directory.
    assert main(["run", recipe, "--run-dir", str(run_dir), "seed=6"]) == 1
    assert "different recipe" in capsys.readouterr().err


def test_run_without_stages_says_so(tmp_path, salad_write_recipe, capsys):
    recipe = salad_write_recipe({"name": "empty", "output_dir": str(tmp_path / "runs")})
    assert main(["run", str(recipe)]) == 0
    assert "lists no stages" in capsys.readouterr().out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert "No stages ran." in (run_dir / "report.md").read_text()


def test_unknown_arguments_rejected(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["plugins", "list", "--nope"])


def test_run_help_shows_examples_that_validate(capsys):
    import pytest

    from salad.cli.recipe_cmd import RUN_EXAMPLES

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "examples:\n  salad run recipes/mini/mini.yaml\n" in capsys.readouterr().out
    commands = [line.split()[2:] for line in RUN_EXAMPLES.splitlines()
                if line.startswith("  salad run ")]
    assert len(commands) >= 4
    for args in commands:
        recipe, *rest = args
        overrides = [a for a in rest if "=" in a]
        assert main(["validate", str(REPO / recipe), *overrides]) == 0, args


def test_stages_list_and_describe(capsys):
    from salad.stages import STAGES

    assert main(["stages", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in STAGES)
    assert "needs: encoder, adapter, teacher, student, loss, scorer" in listed
    assert main(["stages", "describe", "stage1"]) == 0
    text = capsys.readouterr().out
    for name in STAGES["stage1"].config.model_fields:
        assert f"\n    {name}: " in text
    assert "steps: int = 300  Optimizer steps" in text
    assert "train_manifest: str = required" in text
    assert "seed: the recipe's seed" in text
    assert main(["stages", "describe", "stage2"]) == 0
    assert "selection: SelectionConfig = required" in capsys.readouterr().out
    assert main(["stages", "describe", "stage3"]) == 1
    assert "did you mean" in capsys.readouterr().err


def test_plugins_list_shows_kinds_with_nothing_installed():
    from salad.core.kinds import KINDS

    out = run_salad("plugins", "list", env={"SALAD_DISABLE_PLUGIN_AUTOLOAD": "1",
                                            "SALAD_PLUGINS": "salad_plugins.distill_losses.hooks"})
    assert out.returncode == 0, out.stderr
    for key, kind in KINDS.items():
        assert f"{kind.title} ({key}):" in out.stdout
    assert out.stdout.count("(none installed)") == len(KINDS) - 1
    assert "salad.distill_mix.v1" in out.stdout


def test_torchrun_launch_refuses_a_single_process_stage_not_done(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    recipe = str(REPO / "recipes/examples/inspect.yaml")
    assert main(["run", recipe, "--run-dir", str(tmp_path / "run")]) == 1
    assert "stage inspect runs on one process: run it without torchrun" in \
        capsys.readouterr().err
