"""Cross-component checks, from the ports each record declares (nothing is built).

A rule says that port ``a`` of the component in one slot must equal port ``b`` of the
component in another. Checks run only when both slots are filled and both ports declared.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortRule:
    source_slot: str
    source_port: str
    target_slot: str
    target_port: str
    why: str


PORT_RULES: tuple[PortRule, ...] = (
    PortRule("encoder", "output_dim", "adapter", "input_dim",
             "the adapter reads the encoder's frames"),
    PortRule("adapter", "output_dim", "student", "hidden_size",
             "adapter outputs are the student's input embeddings"),
    PortRule("teacher", "tokenizer", "student", "tokenizer",
             "distillation compares next-token distributions over the same vocabulary"),
    PortRule("teacher", "vocab_size", "student", "vocab_size",
             "distillation compares next-token distributions over the same vocabulary"),
)

# Ports compared with a top-level recipe field: (slot, port, recipe field).
RECIPE_PORT_RULES: tuple[tuple[str, str, str], ...] = (
    ("encoder", "sample_rate", "sample_rate"),
)
