"""On-disk cache of frozen speech-encoder features.

Key: the encoder's ``cache_key()`` plus a content hash of the audio (the audio file's bytes, or
the float32 samples and their rate). Value: ``(T, D)`` frames as safetensors, fp16 unless a value
does not fit, written atomically (temp file + ``os.replace``), so a killed job leaves only
complete entries and a rerun skips them. Non-finite frames are never stored, and an entry that
holds any is removed when read. :func:`precompute_manifest` fills the cache for a speech manifest
with a progress bar; a bad line, unreadable, truncated, empty or non-finite audio, or an encoder
error on one utterance is skipped, counted and reported with its reason (:class:`Failure`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import SaladError
from .files import atomic_path
from .manifests import read_speech_manifest

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

    def create(self) -> None:
        """Make the cache folder, or raise a :class:`SaladError` naming it: a folder that
        cannot be made (a dangling link, no permission) would fail every entry alike, after
        every encoder pass had been paid for."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SaladError(f"feature cache {self.dir}: cannot create the folder "
                             f"({type(exc).__name__}: {exc})") from None

    def __contains__(self, content_key: str) -> bool:
        return self.path(content_key).is_file()

    def get(self, content_key: str) -> torch.Tensor | None:
        """The frames, or None when missing. An entry with non-finite values (written before
        :meth:`put` refused them) is removed and reported missing."""
        from safetensors.torch import load_file

        path = self.path(content_key)
        if not path.is_file():
            return None
        frames = load_file(str(path))["frames"].float()
        if not bool(frames.isfinite().all()):
            path.unlink(missing_ok=True)
            return None
        return frames

    def put(self, content_key: str, frames: torch.Tensor) -> Path:
        """Store finite frames (a :class:`SaladError` for NaN or infinite values)."""
        import torch
        from safetensors.torch import save_file

        frames = frames.detach().cpu().contiguous()
        if not bool(frames.isfinite().all()):
            raise SaladError("the encoder produced non-finite features (NaN or inf); "
                             "they are not cached")
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


def audio_problem(audio: np.ndarray) -> str | None:
    """Why audio cannot be encoded (empty, or NaN/infinite samples), or None."""
    if audio.size == 0:
        return "empty audio (0 samples)"
    if not np.all(np.isfinite(audio)):
        return "non-finite audio samples (NaN or inf)"
    return None


@dataclass(frozen=True)
class Failure:
    """An utterance that was skipped: its id, where it came from and why."""

    id: str
    where: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "where": self.where, "reason": self.reason}


@dataclass
class PrecomputeReport:
    total: int = 0
    cached: int = 0
    computed: int = 0
    failed: list[Failure] = field(default_factory=list)
    index: dict[str, str] = field(default_factory=dict)  # utterance id -> content key

    def summary(self) -> str:
        return (f"{self.total} utterances: {self.cached} already cached, {self.computed} "
                f"encoded, {len(self.failed)} failed")


class _Encoding:
    """Batches loaded audio for the encoder; an utterance whose batch fails is retried alone,
    so one bad item fails by itself."""

    def __init__(self, encoder, cache: FeatureCache, report: PrecomputeReport, batch_size: int):
        self.encoder, self.cache, self.report = encoder, cache, report
        self.batch_size = batch_size
        self.pending: list[tuple[str, str, str, np.ndarray]] = []  # id, where, key, audio

    def add(self, rid: str, where: str, key: str, audio: np.ndarray) -> None:
        self.pending.append((rid, where, key, audio))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def _encode(self, items) -> None:
        encode_cached(self.encoder, self.cache, [a for *_, a in items], [k for _, _, k, _ in items],
                      self.batch_size)
        for rid, _, key, _ in items:
            self.report.index[rid] = key
        self.report.computed += len(items)

    def _fail(self, item, exc: Exception) -> None:
        rid, where, _, _ = item
        self.report.failed.append(Failure(rid, where, f"encoder: {type(exc).__name__}: {exc}"))

    def flush(self) -> None:
        items, self.pending = self.pending, []
        if not items:
            return
        try:
            self._encode(items)
            return
        except Exception as exc:  # noqa: BLE001 - find the item that fails, keep the others
            if len(items) == 1:
                self._fail(items[0], exc)
                return
        for item in items:
            try:
                self._encode([item])
            except Exception as exc:  # noqa: BLE001 - a bad item is skipped and counted
                self._fail(item, exc)


def precompute(items: Sequence[tuple[str, str | Path]], encoder, cache_root: str | Path, *,
               batch_size: int = 8, loader: AudioLoader = default_audio_loader,
               progress: bool = True, report: PrecomputeReport | None = None
               ) -> PrecomputeReport:
    """Encode the audio of every ``(id, audio path)`` into the cache. Resumable: entries already
    cached are skipped; an item that fails is counted and listed with its reason."""
    from .progress import progress_bar

    cache = FeatureCache(cache_root, encoder.cache_key())
    if items:
        cache.create()
    report = report or PrecomputeReport()
    report.total += len(items)
    encoding = _Encoding(encoder, cache, report, batch_size)
    for rid, path in progress_bar(items, desc="encoder features", unit="utt",
                                  disable=not progress):
        path = Path(path)
        where = str(path)
        try:
            key = file_hash(path)
            if cache.get(key) is not None:
                report.index[rid] = key
                report.cached += 1
                continue
            audio = loader(path, encoder.sample_rate)
        except Exception as exc:  # noqa: BLE001 - a bad file is skipped and counted
            report.failed.append(Failure(rid, where, f"{type(exc).__name__}: {exc}"))
            continue
        problem = audio_problem(audio)
        if problem:
            report.failed.append(Failure(rid, where, problem))
            continue
        encoding.add(rid, where, key, audio)
    encoding.flush()
    return report


def precompute_manifest(manifest: str | Path, encoder, cache_root: str | Path, *,
                        batch_size: int = 8, loader: AudioLoader = default_audio_loader,
                        progress: bool = True) -> PrecomputeReport:
    """:func:`precompute` over a speech manifest; its bad lines are failures of their own."""
    read = read_speech_manifest(manifest)
    report = PrecomputeReport(total=len(read.errors), failed=[
        Failure(e.id or "", e.where, e.error) for e in read.errors])
    return precompute([(r.id, r.audio) for r in read.records], encoder, cache_root,
                      batch_size=batch_size, loader=loader, progress=progress, report=report)


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
