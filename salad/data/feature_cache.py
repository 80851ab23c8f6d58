"""On-disk cache of frozen speech-encoder features.

Key: the encoder's ``cache_key()`` plus a content hash of the audio (the audio file's bytes, or
the float32 samples and their rate). Value: ``(T, D)`` frames as safetensors, fp16 unless a value
does not fit, written atomically (temp file + ``os.replace``), so a killed job leaves only
complete entries and a rerun skips them. :func:`precompute_manifest` fills the cache for a speech
manifest with a progress bar; unreadable audio is skipped, counted and reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import SaladError
from .files import atomic_path

if TYPE_CHECKING:
    import torch

AudioLoader = Callable[[Path, int], np.ndarray]


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def samples_hash(audio: np.ndarray, sample_rate: int) -> str:
    h = hashlib.sha256(f"pcm-f32-{sample_rate}:".encode())
    h.update(np.ascontiguousarray(audio, dtype=np.float32).tobytes())
    return h.hexdigest()


class FeatureCache:
    """Frames of one encoder, one safetensors file per audio content hash."""

    def __init__(self, root: str | Path, encoder_key: str, dtype: str = "float16"):
        if not encoder_key or any(c in encoder_key for c in "/\\") or encoder_key.startswith("."):
            raise SaladError(f"encoder cache_key() {encoder_key!r} cannot name a folder")
        self.dir = Path(root) / encoder_key
        self.dtype = dtype

    def path(self, content_key: str) -> Path:
        return self.dir / content_key[:2] / f"{content_key}.safetensors"

    def __contains__(self, content_key: str) -> bool:
        return self.path(content_key).is_file()

    def get(self, content_key: str) -> torch.Tensor | None:
        from safetensors.torch import load_file

        path = self.path(content_key)
        if not path.is_file():
            return None
        return load_file(str(path))["frames"].float()

    def put(self, content_key: str, frames: torch.Tensor) -> Path:
        import torch
        from safetensors.torch import save_file

        frames = frames.detach().cpu().contiguous()
        if self.dtype == "float16":
            half = frames.to(torch.float16)
            frames = half if bool(half.isfinite().all()) else frames.float()
        path = self.path(content_key)
        with atomic_path(path) as tmp:
            save_file({"frames": frames}, str(tmp))
        return path


def pad_waves(waves: Sequence[np.ndarray]):
    """Right-pad mono waveforms into ``(B, S)`` float32 with their lengths."""
    import torch

    lengths = torch.tensor([len(w) for w in waves], dtype=torch.long)
    batch = torch.zeros(len(waves), max(1, int(lengths.max())))
    for i, w in enumerate(waves):
        batch[i, : len(w)] = torch.from_numpy(np.asarray(w, dtype=np.float32))
    return batch, lengths


def encode_cached(encoder, cache: FeatureCache, waves: Sequence[np.ndarray],
                  keys: Sequence[str] | None = None, batch_size: int = 8) -> list[torch.Tensor]:
    """Frames for each waveform (at ``encoder.sample_rate``), encoding only cache misses."""
    keys = list(keys) if keys is not None else [
        samples_hash(w, encoder.sample_rate) for w in waves]
    out: list[torch.Tensor | None] = [cache.get(k) for k in keys]
    missing = [i for i, f in enumerate(out) if f is None]
    for start in range(0, len(missing), batch_size):
        idx = missing[start:start + batch_size]
        frames, lengths = encoder.encode(*pad_waves([waves[i] for i in idx]))
        for row, i in enumerate(idx):
            out[i] = frames[row, : int(lengths[row])].float()
            cache.put(keys[i], out[i])
    return out  # type: ignore[return-value]


def default_audio_loader(path: Path, sample_rate: int) -> np.ndarray:
    """Mono float32 audio at ``sample_rate``."""
    from .audio import read_audio

    return read_audio(path, target_sr=sample_rate)[0]


@dataclass
class PrecomputeReport:
    total: int = 0
    cached: int = 0
    computed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (where, error)
    index: dict[str, str] = field(default_factory=dict)  # utterance id -> content key

    def summary(self) -> str:
        return (f"{self.total} utterances: {self.cached} already cached, {self.computed} "
                f"encoded, {len(self.failed)} failed")


def _manifest_rows(manifest: Path, report: PrecomputeReport) -> list[tuple[str, Path]]:
    rows = []
    with open(manifest, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                rid, audio = str(obj["id"]), Path(obj["audio"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                report.failed.append((f"{manifest}:{lineno}", f"bad manifest row ({exc})"))
                continue
            rows.append((rid, audio if audio.is_absolute() else manifest.parent / audio))
    return rows


def precompute_manifest(manifest: str | Path, encoder, cache_root: str | Path, *,
                        batch_size: int = 8, loader: AudioLoader = default_audio_loader,
                        progress: bool = True) -> PrecomputeReport:
    """Encode every utterance of a speech manifest (JSONL with ``id`` and ``audio``) into the
    cache. Resumable: entries already cached are skipped; a failed item is counted and listed."""
    from tqdm import tqdm

    manifest = Path(manifest)
    if not manifest.is_file():
        raise SaladError(f"speech manifest {manifest} not found")
    cache = FeatureCache(cache_root, encoder.cache_key())
    report = PrecomputeReport()
    rows = _manifest_rows(manifest, report)
    report.total = len(rows) + len(report.failed)
    pending: list[tuple[str, str, np.ndarray]] = []

    def flush():
        encode_cached(encoder, cache, [w for _, _, w in pending], [k for _, k, _ in pending],
                      batch_size)
        report.computed += len(pending)
        pending.clear()

    for rid, path in tqdm(rows, desc="encoder features", unit="utt", disable=not progress):
        try:
            key = file_hash(path)
            report.index[rid] = key
            if key in cache:
                report.cached += 1
                continue
            pending.append((rid, key, loader(path, encoder.sample_rate)))
        except Exception as exc:  # noqa: BLE001 - a bad file is skipped and counted
            report.index.pop(rid, None)
            report.failed.append((f"{manifest} id={rid} ({path})", f"{type(exc).__name__}: {exc}"))
            continue
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return report


class ManifestFeatures:
    """``ids -> [frames (T, D)]`` over a precomputed cache (the trainer's feature lookup).
    With ``keep_in_memory`` each utterance is read from disk once."""

    def __init__(self, cache: FeatureCache, index: dict[str, str], keep_in_memory: bool = True):
        self.cache = cache
        self.index = index
        self._memory: dict[str, torch.Tensor] | None = {} if keep_in_memory else None

    def _load(self, rid: str) -> torch.Tensor:
        if self._memory is not None and rid in self._memory:
            return self._memory[rid]
        key = self.index.get(rid)
        frames = self.cache.get(key) if key else None
        if frames is None:
            raise SaladError(f"no cached features for utterance {rid!r}; "
                             "run the feature precompute step first")
        if self._memory is not None:
            self._memory[rid] = frames
        return frames

    def __call__(self, ids: Sequence[str]) -> list[torch.Tensor]:
        return [self._load(rid) for rid in ids]

    def lengths(self) -> dict[str, int]:
        """Frame count per utterance, read from the safetensors headers only."""
        from safetensors import safe_open

        out = {}
        for rid, key in self.index.items():
            with safe_open(str(self.cache.path(key)), framework="pt") as fh:
                out[rid] = int(fh.get_slice("frames").get_shape()[0])
        return out
