"""Bad recipes: every problem located (file:line and key) with what to do, exit status 1."""

from __future__ import annotations

from .conftest import write_jsonl

RECIPE = """\
name: {name}
seed: {seed}
components:
  encoder: {{name: salad.fbank_encoder.v1, config: {{n_mels: 80}}}}
  adapter: {{name: salad.mlp_adapter.v1, config: {{input_dim: 80, output_dim: 576}}}}
  teacher: {{name: salad.gguf_lm.v1}}
  student: {{name: salad.gguf_lm.v1}}
stages:
  - name: evaluate
    config:
      benchmarks: [openbookqa, {benchmark}]
      voices: ["{voice}", "festival:ked_diphone"]
      modes: [teacher_text]
"""


def _recipe(tmp_path, name="ok", seed=0, benchmark="piqa", voice="piper:joe", extra=""):
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE.format(name=name, seed=seed, benchmark=benchmark, voice=voice) + extra,
                    encoding="utf-8")
    return path


def test_recipe_that_is_not_utf8(cli, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    rc, _, err = cli("validate", str(path))
    assert rc == 1
    assert f"{path}:2: <recipe>: not UTF-8 (byte 0xe9 at column 17); save the file as UTF-8" in err


def test_duplicate_keys_in_a_recipe(cli, tmp_path):
    path = _recipe(tmp_path, extra="seed: 4\n")
    rc, _, err = cli("validate", str(path))
    assert rc == 1 and f"{path}:14:" in err
    assert "duplicate key 'seed' (first at line 2)" in err


def test_run_name_that_leaves_the_output_directory(cli, tmp_path):
    rc, _, err = cli("validate", str(_recipe(tmp_path, name="../escape")))
    assert rc == 1 and "r.yaml:1: name:" in err and "no '/' or '..'" in err


def test_misspelled_voice_and_benchmark_in_a_stage_config(cli, tmp_path):
    path = _recipe(tmp_path, benchmark="piqaa", voice="piper:jo")
    rc, _, err = cli("validate", str(path))
    assert rc == 1 and "2 problems" in err
    assert (f"{path}:11: stages.0.config.benchmarks.1: unknown benchmark 'piqaa' "
            "(salad.piqaa.v1); did you mean 'piqa'?") in err
    assert (f"{path}:12: stages.0.config.voices.0: voice 'piper:jo': salad.piper_tts.v1 has no "
            "voice 'jo'; did you mean 'joe'?") in err


def test_misspelled_engine_and_asr_model_as_overrides(cli, tmp_path):
    rc, _, err = cli("validate", str(_recipe(tmp_path)), "stages.0.config.voices=[pipr:joe]",
                     "stages.0.config.modes=[cascade]", "stages.0.config.asr_model=bse")
    assert rc == 1
    assert "voice 'pipr:joe': unknown TTS engine 'pipr' (salad.pipr_tts.v1); did you mean " \
           "'piper'?" in err
    assert "stages.0.config.asr_model: unknown ASR model 'bse'; did you mean 'base'?" in err


def test_unknown_corpus_and_engine_config_key_in_data_preparation(cli, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("""\
name: data
stages:
  - name: prepare_data
    config:
      narrow_corpus: {name: salad.popquote_corpus.v1}
      heldout_voices:
        - {engine: salad.flite_tts.v1, voice: slt, config: {sample_rte: 16000}}
        - {engine: salad.flite_tts.v1, voice: sltt}
""", encoding="utf-8")
    rc, _, err = cli("validate", str(path))
    assert rc == 1 and "3 problems" in err
    assert f"{path}:5: stages.0.config.narrow_corpus.name: unknown corpus source " \
           "'salad.popquote_corpus.v1'; did you mean 'salad.popquotes_corpus.v1'" in err
    assert (f"{path}:7: stages.0.config.heldout_voices.0.config.sample_rte: unknown key "
            "'sample_rte'; did you mean 'sample_rate'?") in err
    assert "heldout_voices.1.engine: salad.flite_tts.v1 has no voice 'sltt'; did you mean " \
           "'slt'?" in err


def test_missing_recordings_and_benchmark_files(cli, tmp_path):
    rc, _, err = cli("validate", str(_recipe(tmp_path)),
                     f"stages.0.config.benchmarks=[{tmp_path / 'none.jsonl'}]",
                     f"stages.0.config.recordings={{alice: {tmp_path / 'alice.jsonl'}}}")
    assert rc == 1
    assert f"stages.0.config.benchmarks.0: benchmark file {tmp_path / 'none.jsonl'} not found" \
        in err
    assert f"recordings 'alice': manifest {tmp_path / 'alice.jsonl'} not found" in err


def test_recipe_seed_seeds_every_stage_that_has_one(cli, tmp_path):
    path = _recipe(tmp_path, seed=7)
    rc, out, err = cli("config", "show", str(path), "--resolved")
    assert rc == 0, err
    assert "  config:\n    benchmarks:" in out and "    seed: 7\n" in out
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(path.read_text().replace("modes: [teacher_text]",
                                                 "modes: [teacher_text]\n      seed: 2"))
    rc, out, _ = cli("config", "show", str(explicit), "--resolved")
    assert rc == 0 and "    seed: 2\n" in out  # a stage's own seed wins


def test_loss_that_cannot_read_the_teacher_top_k(cli, tmp_path):
    manifest = write_jsonl(tmp_path / "m.jsonl", [{"id": "a", "audio": "a.wav", "text": "a"}])
    path = tmp_path / "r.yaml"
    path.write_text(f"""\
name: s1
components:
  loss: {{name: salad.kl_distill.v1, config: {{temperature: 2.0}}}}
stages:
  - name: stage1
    config:
      train_manifest: {manifest}
      heldout: [{{name: held, speech: {manifest}, texts: {manifest}}}]
""", encoding="utf-8")
    rc, _, err = cli("validate", str(path))
    assert rc == 1
    assert ("stages.0.config.teacher_topk: teacher_topk 64 caches the teacher as a top-k, but "
            "the loss reads dense teacher logits only") in err and "set teacher_topk: 0" in err
