"""Causal language models (teacher and student kinds): packaged GGUF models and transformers LMs."""
