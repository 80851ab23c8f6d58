from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory):
    pytest.importorskip("transformers")
    from salad.testing.tiny_llama import write_tiny_llama

    return write_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="session")
def registries():
    import salad

    host = salad.get_host()
    return host.registry("teacher_lm"), host.registry("student_lm")
