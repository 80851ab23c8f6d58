"""Teacher LMs: the frozen text LLM whose next-token distributions are distilled."""

from __future__ import annotations

from ._kind import Kind
from ._lm import LM_PORTS, LanguageModel, LanguageModelChecks

KIND = Kind(
    key="teacher_lm", hook="salad_teacher_lms", title="teacher LM",
    description="Frozen text LLM whose next-token distributions are distilled.",
    protocol=LanguageModel, contract="TeacherLMContract", checks=LanguageModelChecks,
    example="salad.gguf_lm.v1", slot="teacher", ports=LM_PORTS,
    required_ports=("hidden_size", "vocab_size"), order=30,
)
