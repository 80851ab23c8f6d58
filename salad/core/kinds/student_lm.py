"""Student LMs: the LLM that learns to read speech spans."""

from __future__ import annotations

from ._kind import Kind, PortRule
from ._lm import LM_PORTS, LanguageModel, LanguageModelChecks

_SAME_VOCABULARY = "distillation compares next-token distributions over the same vocabulary"

KIND = Kind(
    key="student_lm", hook="salad_student_lms", title="student LM",
    description="The LLM that learns to read speech spans; trained fully, with LoRA or frozen.",
    protocol=LanguageModel, contract="StudentLMContract", checks=LanguageModelChecks,
    example="salad.gguf_lm.v1", slot="student", ports=LM_PORTS,
    required_ports=("hidden_size", "vocab_size"),
    port_rules=(
        PortRule("adapter", "output_dim", "student", "hidden_size",
                 "adapter outputs are the student's input embeddings"),
        PortRule("teacher", "tokenizer", "student", "tokenizer", _SAME_VOCABULARY),
        PortRule("teacher", "vocab_size", "student", "vocab_size", _SAME_VOCABULARY),
    ),
    order=40,
)
