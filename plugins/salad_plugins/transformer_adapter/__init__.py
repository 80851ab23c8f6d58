"""Causal Transformer adapter (the paper's adapter shape)."""
