"""On-disk cache of text embeddings keyed by the SHA-256 of each text.

One folder per model identity; inside it, safetensors chunk files holding ``keys`` (``(n, 32)``
uint8 digests) and ``vectors`` (``(n, D)`` float32), each written atomically, so a killed job
keeps every finished chunk and a rerun embeds only the texts no chunk holds. Keys are contents,
not positions: reordering, adding or removing texts reuses every vector already computed.
Non-finite vectors are refused; a chunk that cannot be read is reported and ignored (its texts
are embedded again). Several processes may fill one cache at once (the ranks of
:mod:`salad.selection.embed_shards`): a chunk is written under a temporary name of its own and
renamed to the hash of its keys, so writers never share a file and a reader sees whole chunks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.errors import SaladError
from .files import atomic_path

log = logging.getLogger(__name__)


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of one model, looked up by :func:`text_digest`."""

    def __init__(self, root: str | Path, model_key: str):
        if not model_key or any(c in model_key for c in "/\\") or model_key.startswith("."):
            raise SaladError(f"embedding cache key {model_key!r} cannot name a folder")
        self.dir = Path(root) / model_key
        self._chunks: list[np.ndarray] = []
        self._where: dict[bytes, tuple[int, int]] = {}
        for path in sorted(self.dir.glob("*.safetensors")):
            self._load(path)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, digest: bytes) -> bool:
        return digest in self._where

    def _load(self, path: Path) -> None:
        from safetensors.numpy import load_file

        try:
            data = load_file(str(path))
            keys, vectors = data["keys"], data["vectors"].astype(np.float32)
            if keys.shape != (len(vectors), 32) or not np.isfinite(vectors).all():
                raise ValueError("keys and vectors do not match, or vectors are not finite")
        except Exception as exc:  # noqa: BLE001 - an unreadable chunk is recomputed, not fatal
            log.warning("ignoring embedding cache chunk %s: %s", path, exc)
            return
        self._add(keys, vectors)

    def _add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        chunk = len(self._chunks)
        self._chunks.append(vectors)
        for row, key in enumerate(keys):
            self._where.setdefault(key.tobytes(), (chunk, row))

    def get(self, digest: bytes) -> np.ndarray | None:
        where = self._where.get(digest)
        return None if where is None else self._chunks[where[0]][where[1]]

    def put(self, digests: Sequence[bytes], vectors: np.ndarray) -> Path:
        """Store one chunk; returns its file."""
        from safetensors.numpy import save_file

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(digests):
            raise SaladError(f"{len(digests)} keys for vectors of shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise SaladError("the embedder produced non-finite vectors; they are not cached")
        keys = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(digests), 32)
        path = self.dir / f"{hashlib.sha256(keys.tobytes()).hexdigest()[:32]}.safetensors"
        with atomic_path(path) as tmp:
            save_file({"keys": keys, "vectors": vectors}, str(tmp))
        self._add(keys, vectors)
        return path
