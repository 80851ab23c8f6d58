"""A tiny randomly initialised causal LM satisfying the LanguageModel protocol (tests only)."""

from __future__ import annotations

import torch


class TinyLM:
    tokenizer_id = "bytes"

    def __init__(self, seed: int = 0, hidden: int = 32, vocab: int = 260):
        from transformers import LlamaConfig, LlamaForCausalLM

        torch.manual_seed(seed)
        cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                          max_position_embeddings=512)
        self.module = LlamaForCausalLM(cfg).eval()
        self.hidden_size = hidden
        self.vocab_size = vocab
        self.bos_id = 0

    def tokenize(self, texts):
        return [[b + 4 for b in t.encode("utf-8")] for t in texts]

    def embed(self, ids):
        return self.module.get_input_embeddings()(ids)

    def hidden_states(self, inputs_embeds, attention_mask):
        out = self.module.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask)
        return out.last_hidden_state

    def logits(self, hidden):
        return self.module.lm_head(hidden)
