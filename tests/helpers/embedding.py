"""Watching a real ``salad.sentence_embedder.v1`` at work (the model still runs)."""

from __future__ import annotations


def count_encodes(embedder, monkeypatch, fail_at: int | None = None) -> list[int]:
    """Record the size of each encoded chunk; raise on chunk number ``fail_at`` (a kill)."""
    sizes: list[int] = []
    encode = embedder._encode

    def counted(texts):
        if fail_at is not None and len(sizes) == fail_at:
            raise KeyboardInterrupt("killed")
        sizes.append(len(texts))
        return encode(texts)

    monkeypatch.setattr(embedder, "_encode", counted)
    return sizes
