"""Text and speech manifests: JSONL files with one record per line (schema in docs/manifests.md).

- Text manifest line: ``{"id", "text", "source", "domains"}``
  (a :class:`~salad.core.items.TextRecord`).
- Speech manifest line: :class:`SpeechRecord` (id, audio path, duration, text, voice, engine,
  domains, sample_rate, augmentation, ...).

Readers report bad lines as :class:`ManifestLineError` with ``file:line`` so long jobs can skip and
count them; :class:`JsonlAppender` appends and flushes one line at a time so a killed job keeps
every finished record, and repairs a half-written last line before appending.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import SaladError
from ..core.items import TextRecord
from .files import atomic_write_lines

SPEECH_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ManifestLineError:
    path: str
    line: int
    error: str
    id: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class SpeechRecord:
    """One utterance of a speech manifest. ``audio`` is relative to the manifest's folder when
    the file lies under it, otherwise absolute."""

    id: str
    audio: str
    duration: float
    text: str
    voice: str
    engine: str
    sample_rate: int
    speaker: str = ""
    text_id: str = ""
    source: str = ""
    domains: list[str] = field(default_factory=list)
    engine_version: str = ""
    augmentation: dict[str, Any] | None = None
    cache_key: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, obj: dict) -> SpeechRecord:
        names = set(cls.__dataclass_fields__)
        missing = [k for k in ("id", "audio", "duration", "text", "voice", "engine",
                               "sample_rate") if k not in obj]
        if missing:
            raise ValueError(f"missing field(s) {', '.join(missing)}")
        return cls(**{k: v for k, v in obj.items() if k in names})


def _iter_json_lines(path: Path) -> Iterator[tuple[int, dict | ManifestLineError]]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                yield lineno, ManifestLineError(str(path), lineno, "empty line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, ManifestLineError(
                    str(path), lineno, f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield lineno, ManifestLineError(str(path), lineno, "expected a JSON object")
                continue
            yield lineno, obj


def read_text_manifest(path: str | Path) -> Iterator[TextRecord | ManifestLineError]:
    """Text records, or a :class:`ManifestLineError` for each bad line (never raised)."""
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"text manifest {path} not found")
    for lineno, obj in _iter_json_lines(path):
        if isinstance(obj, ManifestLineError):
            yield obj
            continue
        rid, text, domains = obj.get("id"), obj.get("text"), obj.get("domains", [])
        problem = None
        if not isinstance(rid, str) or not rid:
            problem = "field 'id' missing or not a non-empty string"
        elif not isinstance(text, str) or not text.strip():
            problem = "field 'text' missing or empty"
        elif not (isinstance(domains, list) and all(isinstance(d, str) for d in domains)):
            problem = "field 'domains' must be a list of strings"
        if problem:
            yield ManifestLineError(str(path), lineno, problem,
                                    rid if isinstance(rid, str) else None)
            continue
        yield TextRecord(rid, text.strip(), str(obj.get("source", "")), tuple(domains))


def text_record_json(rec: TextRecord) -> str:
    return json.dumps({"id": rec.id, "text": rec.text, "source": rec.source,
                       "domains": list(rec.domains)}, ensure_ascii=False)


def write_text_manifest(path: str | Path, records: Iterable[TextRecord]) -> int:
    return atomic_write_lines(path, (text_record_json(r) for r in records))


def read_speech_manifest(path: str | Path, strict: bool = True) -> Iterator[SpeechRecord]:
    """Speech records with ``audio`` resolved to a usable path. A bad line raises a
    :class:`SaladError` naming ``file:line`` (``strict=False`` skips incomplete last lines)."""
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"speech manifest {path} not found")
    for lineno, obj in _iter_json_lines(path):
        try:
            if isinstance(obj, ManifestLineError):
                raise ValueError(obj.error)
            rec = SpeechRecord.from_dict(obj)
        except (ValueError, TypeError) as exc:
            if strict:
                raise SaladError(f"{path}:{lineno}: bad speech manifest line: {exc}") from None
            continue
        rec.audio = str(resolve_audio(path, rec.audio))
        yield rec


def resolve_audio(manifest: str | Path, audio: str) -> Path:
    p = Path(audio)
    return p if p.is_absolute() else Path(manifest).resolve().parent / p


def relative_audio(manifest: str | Path, audio: str | Path) -> str:
    """``audio`` relative to the manifest's folder when it lies under it, else absolute."""
    base, target = Path(manifest).resolve().parent, Path(audio).resolve()
    try:
        return str(target.relative_to(base))
    except ValueError:
        return str(target)


def repair_tail(path: Path) -> None:
    """Cut a half-written last line (left by a kill) so appends start on a fresh line."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return
        fh.seek(0)
        data = fh.read()
        fh.truncate(data.rfind(b"\n") + 1)


def read_json_lines_tolerant(path: Path) -> Iterator[dict]:
    """Objects of every parseable line (used to find finished ids when resuming)."""
    if not path.is_file():
        return
    for _, obj in _iter_json_lines(path):
        if isinstance(obj, dict):
            yield obj


class JsonlAppender:
    """Appends one JSON line per record and flushes it, so a killed process loses nothing it
    reported as finished."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(self.path)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def write(self, obj: dict | str) -> None:
        line = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False,
                                                           sort_keys=True)
        self._fh.write(line + "\n")
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
