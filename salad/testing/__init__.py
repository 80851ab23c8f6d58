"""Contract test suites and pytest fixtures for SALAD plugins.

Subclass the suite for your component's kind in a test file, name the component and a tiny
config, and pytest runs every contract check against it::

    from salad.testing import TTSEngineContract

    class TestMyEngine(TTSEngineContract):
        component_name = "acme.my_tts.v1"
        config = {"voice": "default"}

The fixtures in :mod:`salad.testing.pytest_plugin` are available in any project that has
salad installed (``pytest11`` entry point).
"""

from .contracts import (
    AdapterContract,
    BenchmarkContract,
    ClusteringContract,
    ComponentContract,
    CorpusContract,
    LossContract,
    MisalignmentScorerContract,
    SpeechEncoderContract,
    StudentLMContract,
    TeacherLMContract,
    TextEmbedderContract,
    TTSEngineContract,
)

CONTRACTS = {
    "speech_encoder": SpeechEncoderContract,
    "adapter": AdapterContract,
    "teacher_lm": TeacherLMContract,
    "student_lm": StudentLMContract,
    "loss": LossContract,
    "clustering": ClusteringContract,
    "misalignment_scorer": MisalignmentScorerContract,
    "tts_engine": TTSEngineContract,
    "corpus": CorpusContract,
    "benchmark": BenchmarkContract,
    "text_embedder": TextEmbedderContract,
}

__all__ = [
    "CONTRACTS",
    "AdapterContract",
    "BenchmarkContract",
    "ClusteringContract",
    "ComponentContract",
    "CorpusContract",
    "LossContract",
    "MisalignmentScorerContract",
    "SpeechEncoderContract",
    "StudentLMContract",
    "TTSEngineContract",
    "TeacherLMContract",
    "TextEmbedderContract",
]
