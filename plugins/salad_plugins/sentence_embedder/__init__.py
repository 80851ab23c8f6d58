"""Sentence embeddings with sentence-transformers, cached on disk by content hash."""
