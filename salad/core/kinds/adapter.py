"""Adapters: trainable maps from encoder frames to LM input embeddings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind, PortRule

if TYPE_CHECKING:
    import torch


@runtime_checkable
class Adapter(Protocol):
    """Trainable ``(B, T, input_dim)`` -> ``(B, T', output_dim)`` and the valid lengths (a torch
    Module). ``T' = ceil(T / downsample)``, or data-dependent when ``downsample`` is None (e.g.
    one output per token a CTC head emits). An adapter that reads an LM's own vocabulary has
    ``bind_lm(lm)``, which the speech LM calls with the student before any forward pass."""

    input_dim: int
    output_dim: int
    downsample: int | None

    def __call__(
        self, frames: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]: ...

    def parameters(self) -> Iterator[torch.nn.Parameter]: ...


class _StubLM:
    """The least an adapter may use of an LM it binds to: hidden size, tokenizer, embeddings."""

    def __init__(self, hidden_size: int):
        import torch

        self.hidden_size = hidden_size
        self.device = torch.device("cpu")
        self._table = torch.nn.Embedding(128, hidden_size)

    def tokenize(self, texts):
        return [[ord(c) % 128 for c in t] for t in texts]

    def embed(self, token_ids):
        return self._table(token_ids)


class AdapterChecks:
    def test_forward_shapes_and_gradients(self, record, component):
        import torch

        if callable(getattr(component, "bind_lm", None)):
            component.bind_lm(_StubLM(component.output_dim))
        torch.manual_seed(0)
        frames = torch.randn(2, 37, component.input_dim)
        lengths = torch.tensor([37, 20])
        out, out_lengths = component(frames, lengths)
        assert out.shape[0] == 2 and out.shape[2] == component.output_dim
        assert out_lengths.shape == (2,) and int(out_lengths.max()) <= out.shape[1]
        if component.downsample is not None:
            expect_t = -(-37 // component.downsample)
            assert out.shape[1] == expect_t
            assert out_lengths.tolist()[0] == expect_t and out_lengths.tolist()[1] < expect_t
        out[0, : out_lengths[0]].square().mean().backward()
        grads = [p.grad for p in component.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
        self._assert_ports_match(record, component, ("input_dim", "output_dim", "downsample"))


KIND = Kind(
    key="adapter", hook="salad_adapters", title="adapter",
    description="Trainable map from encoder frames to LM input embeddings (with downsampling).",
    protocol=Adapter, contract="AdapterContract", checks=AdapterChecks,
    example="salad.mlp_adapter.v1", slot="adapter",
    ports=("input_dim", "output_dim", "downsample"),
    required_ports=("input_dim", "output_dim"),
    port_rules=(PortRule("encoder", "output_dim", "adapter", "input_dim",
                         "the adapter reads the encoder's frames"),),
    order=20,
)
