"""One ``typing.Protocol`` per component kind. Components satisfy them structurally.

Tensor types are only named for type checkers: importing this module never imports torch.
Shapes use B = batch, T = frames or tokens, D = feature size, V = vocabulary, N = positions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import torch

    from .items import BenchmarkItem, ClusteringResult, TextRecord


@runtime_checkable
class SpeechEncoder(Protocol):
    """Frozen encoder: ``(B, S)`` 16 kHz waveforms -> ``(B, T, output_dim)`` frames."""

    output_dim: int
    sample_rate: int
    frame_rate: float

    def cache_key(self) -> str:
        """Identity of weights and config; features cached under it stay valid."""

    def encode(
        self, waveforms: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return frames ``(B, T, D)`` and valid frame counts ``(B,)``."""


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


@runtime_checkable
class Loss(Protocol):
    """Objective over the ``N`` positions whose next token is text."""

    needs_teacher: bool

    def __call__(
        self,
        student_logits: torch.Tensor,
        targets: torch.Tensor,
        teacher_logits: torch.Tensor | None = None,
    ) -> Mapping[str, torch.Tensor]:
        """Return a mapping with the scalar ``"loss"`` and any parts worth logging."""


@runtime_checkable
class ClusteringBackend(Protocol):
    def fit(self, vectors: np.ndarray) -> ClusteringResult: ...

    def predict(self, vectors: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class MisalignmentScorer(Protocol):
    def score(self, reference_logits: torch.Tensor, other_logits: torch.Tensor) -> torch.Tensor:
        """Per-position divergence ``(N,)`` in nats of ``other`` from ``reference``."""


@runtime_checkable
class TTSEngine(Protocol):
    sample_rate: int

    def engine_version(self) -> str:
        """Changes whenever the same text and voice could sound different."""

    def voices(self) -> list[str]: ...

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        """Mono float32 audio in ``[-1, 1]`` at ``sample_rate``."""


@runtime_checkable
class CorpusSource(Protocol):
    def iter_records(self) -> Iterator[TextRecord]: ...


@runtime_checkable
class BenchmarkSource(Protocol):
    name: str

    def iter_items(self) -> Iterator[BenchmarkItem]: ...


@runtime_checkable
class TextEmbedder(Protocol):
    output_dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(N, output_dim)`` float32, L2-normalised rows."""


PROTOCOLS = {
    "speech_encoder": SpeechEncoder,
    "adapter": Adapter,
    "teacher_lm": LanguageModel,
    "student_lm": LanguageModel,
    "loss": Loss,
    "clustering": ClusteringBackend,
    "misalignment_scorer": MisalignmentScorer,
    "tts_engine": TTSEngine,
    "corpus": CorpusSource,
    "benchmark": BenchmarkSource,
    "text_embedder": TextEmbedder,
}
