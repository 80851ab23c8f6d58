"""Records, configs and ports of the LM plugins (no model is built here)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from salad_plugins.causal_lm import ports

from salad.core.errors import SaladError


@pytest.mark.parametrize("name", ["salad.gguf_lm.v1", "salad.hf_lm.v1"])
def test_registered_for_both_kinds(registries, name):
    teacher, student = registries
    assert name in teacher and name in student
    assert teacher.get(name).make_config({}).training == "frozen"
    assert student.get(name).make_config({}).training == "full"


@pytest.mark.parametrize("name", ["salad.gguf_lm.v1", "salad.hf_lm.v1"])
@pytest.mark.parametrize("mode", ["full", "lora"])
def test_teacher_must_be_frozen(registries, name, mode):
    teacher, _ = registries
    with pytest.raises(SaladError, match="teacher LM is always frozen"):
        teacher.build(name, {"training": mode})


def test_unknown_gguf_model_suggests(registries):
    _, student = registries
    with pytest.raises(SaladError, match="did you mean 'smollm2-135m'"):
        student.build("salad.gguf_lm.v1", {"model": "smollm2"})


def test_hooks_module_is_import_light():
    code = ("import sys, salad; salad.get_host().registry('student_lm'); "
            "import salad_plugins.causal_lm.hooks; "
            "bad = [m for m in ('torch', 'transformers', 'peft', 'gguf') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_packaged_ports_need_no_files(registries):
    _, student = registries
    rec = student.get("salad.gguf_lm.v1")
    got = rec.declared_ports(rec.make_config({"model": "gemma3-270m"}))
    assert got == {"hidden_size": 640, "vocab_size": 262144,
                   "tokenizer": ports.PACKAGED["gemma3-270m"].tokenizer}
    assert rec.declared_ports(rec.make_config({"model": "/nonexistent/x.gguf"})) == {}


def test_hf_ports_hub_id_undeclared(registries):
    _, student = registries
    rec = student.get("salad.hf_lm.v1")
    assert rec.declared_ports(rec.make_config({"model": "HuggingFaceTB/SmolLM2-135M"})) == {}


def test_tokenizer_json_layouts():
    bpe = {"model": {"vocab": {"a": 0, "b": 1}}, "added_tokens": [{"id": 3, "content": "<s>"}]}
    assert ports.tokens_from_tokenizer_json(bpe) == ["a", "b", None, "<s>"]
    unigram = {"model": {"vocab": [["x", 0.0], ["y", -1.0]]}}
    assert ports.tokens_from_tokenizer_json(unigram) == ["x", "y"]
    assert ports.tokens_from_tokenizer_json({"model": {}}) is None
    assert ports.tokenizer_fingerprint(["a", "b"]) != ports.tokenizer_fingerprint(["b", "a"])
