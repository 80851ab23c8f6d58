"""LM loading shared by the bench scripts: the registered LM plugin when installed, else the
test-local SmolLM2 wrapper."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_lm(dtype: str):
    from salad.errors import SaladError
    from salad.plugin_host import get_host

    reg = get_host().registry("teacher_lm")
    if "salad.gguf_lm.v1" in reg:
        try:
            lm = reg.build("salad.gguf_lm.v1", {"dtype": dtype})
        except SaladError as exc:
            print(f"salad.gguf_lm.v1 not usable here ({exc}); using the test wrapper",
                  file=sys.stderr)
        else:
            return lm, f"salad.gguf_lm.v1|{lm.source}|{dtype}|{lm.tokenizer_id}"
    sys.path.insert(0, str(ROOT))
    from tests.evaluation.transformers_lm import load_smollm2

    lm = load_smollm2(dtype, cache_dir=ROOT / ".cache" / "smollm2")
    return lm, lm.cache_key()
