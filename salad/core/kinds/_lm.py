"""What teacher and student LMs share: the protocol and the contract checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch


@runtime_checkable
class LanguageModel(Protocol):
    """A causal LM split so that logits are computed only where they are needed."""

    hidden_size: int
    vocab_size: int
    tokenizer_id: str

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]: ...

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` ids -> ``(B, T, hidden_size)`` input embeddings."""

    def hidden_states(
        self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """``(B, T, hidden_size)`` final hidden states."""

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(N, hidden_size)`` -> ``(N, V)``."""


LM_PORTS = ("hidden_size", "vocab_size", "tokenizer")


class LanguageModelChecks:
    def test_split_forward(self, record, component):
        import torch

        ids = component.tokenize(["Hello there, how are you?", "Fine."])
        assert all(isinstance(i, int) for seq in ids for i in seq)
        width = max(map(len, ids))
        batch = torch.zeros(2, width, dtype=torch.long)
        mask = torch.zeros(2, width, dtype=torch.long)
        for row, seq in enumerate(ids):
            batch[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        emb = component.embed(batch)
        assert emb.shape == (2, width, component.hidden_size)
        with torch.no_grad():
            hidden = component.hidden_states(emb, mask)
            logits = component.logits(hidden[0, : len(ids[0])])
        assert hidden.shape == (2, width, component.hidden_size)
        assert logits.shape == (len(ids[0]), component.vocab_size)
        assert bool(logits.isfinite().all())
        self._assert_ports_match(record, component, ("hidden_size", "vocab_size"))
        assert isinstance(component.tokenizer_id, str) and component.tokenizer_id
