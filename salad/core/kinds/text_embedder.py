"""Text embedders: sentences -> fixed-size vectors for clustering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class TextEmbedder(Protocol):
    output_dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(N, output_dim)`` float32, L2-normalised rows."""


class TextEmbedderChecks:
    def test_embeddings(self, record, component):
        import numpy as np

        vecs = component.embed(["A cat sat on the mat.", "A kitten sat on the rug.",
                                "Interest rates rose sharply in March."])
        assert vecs.shape == (3, component.output_dim) and vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
        assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
        self._assert_ports_match(record, component, ("output_dim",))


KIND = Kind(
    key="text_embedder", hook="salad_text_embedders", title="text embedder",
    description="Embeds sentences into fixed-size vectors for clustering.",
    protocol=TextEmbedder, contract="TextEmbedderContract", checks=TextEmbedderChecks,
    example="salad.sentence_embedder.v1", slot="embedder", ports=("output_dim",),
    required_ports=("output_dim",), order=110,
)
