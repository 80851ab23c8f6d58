"""Adapters: trainable maps from encoder frames to LM input embeddings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind, PortRule

if TYPE_CHECKING:
    import torch


@runtime_checkable
class Adapter(Protocol):
    """Trainable ``(B, T, input_dim)`` -> ``(B, T // downsample, output_dim)`` (a torch Module)."""

    input_dim: int
    output_dim: int
    downsample: int

    def __call__(
        self, frames: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]: ...

    def parameters(self) -> Iterator[torch.nn.Parameter]: ...


class AdapterChecks:
    def test_forward_shapes_and_gradients(self, record, component):
        import torch

        frames = torch.randn(2, 37, component.input_dim)
        lengths = torch.tensor([37, 20])
        out, out_lengths = component(frames, lengths)
        expect_t = -(-37 // component.downsample)
        assert out.shape == (2, expect_t, component.output_dim)
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
    required_ports=("input_dim", "output_dim", "downsample"),
    port_rules=(PortRule("encoder", "output_dim", "adapter", "input_dim",
                         "the adapter reads the encoder's frames"),),
    order=20,
)
