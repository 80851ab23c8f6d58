"""`salad export` and `salad generate` on tiny runs: the exported speech LM reloads through the
plugin registries and gives the run's logits on spoken prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from salad.cli.main import main  # noqa: E402
from salad.inference import export_run  # noqa: E402

from .helpers.tiny_run import halves_manifests, stage1_recipe, tiny_components, tone_manifest  # noqa: E402

ITEMS = Path(__file__).parent / "data" / "handmade_items" / "mc.jsonl"
CTC = {"name": "salad.ctc_adapter.v1", "config": {
    "input_dim": 40, "output_dim": 64, "width": 32, "num_layers": 1, "num_heads": 2}}


def _spoken_logits(speech_lm, encoder, audio, texts):
    """Logits of BOS + speech + text for each (audio, text) pair."""
    from salad.inference import prompt_embeddings
    from salad.inference.prompt import encode_audio, prompt_logits

    frames = encode_audio(encoder, audio)
    return [prompt_logits(speech_lm, prompt_embeddings(speech_lm, f, text=t))
            for f, t in zip(frames, texts, strict=True)]


def _max_difference(run_dir, export_dir, audio, texts, checkpoint="final"):
    """Largest logit difference between the run's model, rebuilt, and its export."""
    from salad.evaluation.run_models import load_speech_lm, resolve_target
    from salad.inference import load_exported
    from salad.recipe import validate_recipe

    _, ckpt = resolve_target(run_dir, checkpoint)
    validated = validate_recipe(run_dir / "recipe.yaml")
    original, _ = load_speech_lm(validated, ckpt)
    exported = load_exported(export_dir)
    before = _spoken_logits(original, validated.build("encoder"), audio, texts)
    after = _spoken_logits(exported.speech_lm, exported.encoder, audio, texts)
    return max(float((a - b).abs().max()) for a, b in zip(before, after, strict=True))


def _items(manifest, n=5):
    rows = [json.loads(line) for line in manifest.read_text().splitlines()][:n]
    return [r["audio"] for r in rows], [r["text"] for r in rows]


@pytest.mark.parametrize("adapter", ["mlp", "ctc"])
def test_export_reload_gives_identical_logits(tmp_path, tiny_lm_dir, salad_write_recipe,
                                              adapter, capsys):
    components = tiny_components(tiny_lm_dir)
    if adapter == "ctc":  # bound to the student's vocabulary again on load
        components["adapter"] = CTC
    recipe = salad_write_recipe({"name": "untrained", "output_dir": str(tmp_path / "runs"),
                                 "components": components})
    run_dir, out = tmp_path / "run", tmp_path / "export"
    audio, _ = _items(tone_manifest(tmp_path, "items", 5, 3))
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["export", str(run_dir), "--out", str(out), "--verify", *audio]) == 0
    assert "largest |logit difference| over 5 spoken prompts" in capsys.readouterr().out
    manifest = json.loads((out / "salad_speech_lm.json").read_text())
    assert manifest["encoder"]["name"] == "salad.fbank_encoder.v1"
    assert manifest["source"] == {**manifest["source"], "run": "run", "checkpoint": "initial"}
    assert (out / "student" / "config.json").is_file()
    assert (out / "adapter" / "model.safetensors").is_file()
    card = (out / "README.md").read_text()
    assert "Speech LM from SALAD run `run`" in card and str(tmp_path) not in card
    # the random adapter and markers of an untrained run: the same draw (the recipe's seed)
    _, diff = export_run(run_dir, out, verify=audio, log=lambda _: None)
    assert diff == 0.0
    assert _max_difference(run_dir, out, audio, ["yes no"] * 5, "initial") == 0.0

    assert main(["generate", str(out), "--audio", audio[0], "--text", "yes",
                 "--max-new-tokens", "3"]) == 0
    assert main(["generate", str(out), "--audio", audio[0], "--temperature", "1.0",
                 "--top-k", "5", "--max-new-tokens", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_eval_scores_items_with_an_exported_model(tmp_path, tiny_lm_dir, salad_write_recipe,
                                                  monkeypatch):
    """`salad eval EXPORT_DIR` on an item file: the export's speech LM and encoder, the teacher
    it references."""
    monkeypatch.chdir(tmp_path)  # the evaluation's caches
    recipe = salad_write_recipe({"name": "untrained", "output_dir": str(tmp_path / "runs"),
                                 "components": tiny_components(tiny_lm_dir)})
    run_dir, out = tmp_path / "run", tmp_path / "export"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    assert main(["eval", str(out), "--benchmarks", str(ITEMS), "--limit", "all", "--modes",
                 "teacher_text", "student_speech", "--voices", "flite:slt",
                 "--no-progress"]) == 0
    results = json.loads((out / "eval" / "results.json").read_text())
    (bench,) = results["benchmarks"]
    assert set(bench["modes"]) == {"teacher_text", "student_speech@flite:slt"}
    assert bench["modes"]["student_speech@flite:slt"]["n"] == bench["n_items"] == 3
    assert "student_speech@flite:slt" in bench["gaps"]


def test_generate_and_export_errors_are_clear(tmp_path, capsys):
    assert main(["generate", str(tmp_path), "--audio", "x.wav"]) == 1
    assert "not an exported speech LM" in capsys.readouterr().err
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["export", str(tmp_path), "--out", str(tmp_path)]) == 1
    assert "is not an exported speech LM" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("lora", ["merge", "adapter"])
def test_export_of_a_trained_lora_student(tmp_path, tiny_lm_dir, salad_write_recipe, lora):
    train = tone_manifest(tmp_path, "train", 16, 0)
    recipe = stage1_recipe(tmp_path, tiny_lm_dir, "lora", train, halves_manifests(tmp_path, 8, 1),
                           2)
    recipe["components"]["student"]["config"]["training"] = "lora"
    recipe["stages"][0]["config"]["lr_lm"] = 1e-2  # LoRA weights well away from zero
    run_dir, out = tmp_path / "run", tmp_path / "export"
    assert main(["run", str(salad_write_recipe(recipe)), "--run-dir", str(run_dir)]) == 0
    assert main(["export", str(run_dir), "--out", str(out), "--lora", lora]) == 0
    manifest = json.loads((out / "salad_speech_lm.json").read_text())
    assert manifest["lora"] == lora
    assert (out / "student-lora" / "adapter_config.json").is_file() == (lora == "adapter")
    assert "misalignment M" in (out / "README.md").read_text()
    audio, texts = _items(train)
    assert _max_difference(run_dir, out, audio, texts) < 1e-4


def test_the_adapters_texts_travel_with_the_export(tmp_path, tiny_lm_dir, salad_write_recipe):
    """A CTC adapter that decodes with a lexicon and a character LM reads its text manifests
    from the export, so the export works after the run's data is gone."""
    import shutil

    texts = tmp_path / "data" / "texts.jsonl"
    texts.parent.mkdir()
    texts.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n"
                             for i, t in enumerate(["yes no maybe", "no yes", "maybe so"])))
    components = tiny_components(tiny_lm_dir)
    components["adapter"] = {**CTC, "config": {**CTC["config"], "texts": [str(texts)],
                                               "decoder": "beam"}}
    recipe = salad_write_recipe({"name": "beam", "output_dir": str(tmp_path / "runs"),
                                 "components": components})
    run_dir, out = tmp_path / "run", tmp_path / "export"
    audio, _ = _items(tone_manifest(tmp_path, "items", 5, 4), n=3)
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 0
    _, diff = export_run(run_dir, out, checkpoint="initial", verify=audio, log=lambda _: None)
    assert diff == 0.0
    manifest = json.loads((out / "salad_speech_lm.json").read_text())
    assert manifest["adapter"]["config"]["texts"] == ["adapter/texts/0-texts.jsonl"]
    moved = tmp_path / "elsewhere"
    shutil.copytree(out, moved)
    shutil.rmtree(texts.parent)
    from salad.inference import load_exported

    exported = load_exported(moved)
    assert len(exported.speech_lm.adapter.transcribe(*_frames(exported.encoder, audio))) == 3
    assert exported.speech_lm.adapter._lexicon.counts["maybe"] == 2


def _frames(encoder, audio):
    from salad.inference.prompt import encode_audio
    from salad.training.data import pad_frames

    return pad_frames(encode_audio(encoder, audio))
