"""LM loading shared by the bench scripts (the ``salad.gguf_lm.v1`` plugin, packaged SmolLM2)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_lm(dtype: str, model: str = "smollm2-135m"):
    """The frozen LM and the identity string that keys the score cache."""
    from salad.core.plugin_host import get_host

    lm = get_host().registry("teacher_lm").build("salad.gguf_lm.v1",
                                                  {"dtype": dtype, "model": model})
    return lm, f"salad.gguf_lm.v1|{lm.source}|{dtype}|{lm.tokenizer_id}"
