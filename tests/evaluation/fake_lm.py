"""A byte-level bigram LM with hand-set weights, satisfying the LanguageModel protocol.

Token ids are UTF-8 bytes; the embedding is one-hot, ``hidden_states`` adds a causal running
mean scaled by zero (so padding mistakes that leak future positions still change nothing but
left-padding shifts would), and ``logits`` reads the bigram table of the current byte.
"""

from __future__ import annotations

import math

import torch

V = 256


class BigramLM:
    hidden_size = V
    vocab_size = V
    tokenizer_id = "bytes"
    score_prefix_ids = [0]

    def __init__(self, table: dict[tuple[str, str], float] | None = None):
        self.weight = torch.zeros(V, V)
        for (prev, nxt), value in (table or {}).items():
            self.weight[ord(prev), ord(nxt)] = value
        self.calls = 0

    def tokenize(self, texts):
        return [list(t.encode()) for t in texts]

    def embed(self, token_ids):
        return torch.nn.functional.one_hot(token_ids, V).float()

    def hidden_states(self, inputs_embeds, attention_mask):
        self.calls += 1
        return inputs_embeds * attention_mask[..., None]

    def logits(self, hidden):
        return hidden @ self.weight

    def logprob(self, prev: str, nxt: str) -> float:
        row = self.weight[ord(prev)]
        return float(row[ord(nxt)] - torch.logsumexp(row, 0))

    def text_loglik(self, context: str, continuation: str) -> float:
        """The expected score, by hand: sum of bigram log-probs over the continuation."""
        seq = context + continuation
        return sum(self.logprob(seq[i - 1], seq[i])
                   for i in range(len(context), len(seq)))


def uniform_lp() -> float:
    return -math.log(V)
