"""Text and speech manifests: JSONL files with one record per line (schema in docs/manifests.md).

- Text manifest line: ``{"id", "text", "source", "domains"}``
  (a :class:`~salad.core.items.TextRecord`).
- Speech manifest line: :class:`SpeechRecord` (id, audio path, text; the synthesis job adds
  duration, voice, engine, domains, sample_rate, augmentation, ...).

One error policy for every reader: a bad line (not UTF-8, not JSON, a required field missing,
empty or of the wrong type, an id seen before) comes back as a :class:`ManifestLineError` naming
``file:line`` and what is wrong, never raised and never dropped; the caller decides whether the
job skips and counts it (long jobs) or refuses the file. A missing file is an error.
:class:`JsonlAppender` appends and flushes one line at a time so a killed job keeps every finished
record, and repairs a half-written last line before appending.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import SaladError
from ..core.items import TextRecord
from .files import atomic_write_lines


@dataclass(frozen=True)
class ManifestLineError:
    path: str
    line: int
    error: str
    id: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def format(self) -> str:
        return f"{self.where}: {self.error}" + (f" (id {self.id!r})" if self.id else "")


@dataclass
class SpeechRecord:
    """One utterance of a speech manifest. ``audio`` is relative to the manifest's folder when
    the file lies under it, otherwise absolute (:func:`read_speech_manifest` resolves it)."""

    id: str
    audio: str
    text: str
    duration: float = 0.0
    voice: str = ""
    engine: str = ""
    sample_rate: int = 0
    speaker: str = ""
    text_id: str = ""
    source: str = ""
    domains: list[str] = field(default_factory=list)
    engine_version: str = ""
    augmentation: dict[str, Any] | None = None
    cache_key: str = ""
    task_key: str = ""
    transcript: str | None = None   # ASR of the audio (synthesis job's quality check)
    cer: float | None = None        # its character error rate against ``text``

    @classmethod
    def from_dict(cls, obj: dict) -> SpeechRecord:
        """The record of one manifest line; ``ValueError`` says what is wrong with it."""
        for key in ("id", "audio", "text"):
            value = obj.get(key)
            if not isinstance(value, str) or not value.strip():
                got = "missing" if value is None else (
                    "empty" if isinstance(value, str) else f"a {type(value).__name__}")
                raise ValueError(f"field {key!r} must be a non-empty string ({got})")
        types = {"duration": (int, float), "sample_rate": int, "domains": list}
        for key, kind in types.items():
            if key in obj and (not isinstance(obj[key], kind) or isinstance(obj[key], bool)):
                raise ValueError(f"field {key!r} has the wrong type "
                                 f"({type(obj[key]).__name__})")
        if not all(isinstance(d, str) for d in obj.get("domains", [])):
            raise ValueError("field 'domains' must be a list of strings")
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in obj.items() if k in names})


def _parse_line(raw: bytes) -> dict | str:
    """The JSON object of one line, or what is wrong with the line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    if not line.strip():
        return "empty line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    return obj if isinstance(obj, dict) else "expected a JSON object"


def iter_json_lines(path: str | Path, skip_blank: bool = False
                    ) -> Iterator[tuple[int, dict | ManifestLineError]]:
    """``(line number, object)`` for each line of a JSONL file, or a :class:`ManifestLineError`
    for an empty line (unless ``skip_blank``), bytes that are not UTF-8, invalid JSON or a value
    that is not an object."""
    path = Path(path)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if skip_blank and not raw.strip():
                continue
            obj = _parse_line(raw)
            yield lineno, obj if isinstance(obj, dict) else ManifestLineError(
                str(path), lineno, obj)


class _Ids:
    """Remembers ids by line, so that a repeated id is reported with its first line."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def repeated(self, rid: str, lineno: int) -> str | None:
        if rid in self.first:
            return f"duplicate id {rid!r} (first at line {self.first[rid]})"
        self.first[rid] = lineno
        return None


def read_text_manifest(path: str | Path) -> Iterator[TextRecord | ManifestLineError]:
    """Text records, or a :class:`ManifestLineError` for each bad line (never raised)."""
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"text manifest {path} not found")
    ids = _Ids()
    for lineno, obj in iter_json_lines(path):
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
        else:
            problem = ids.repeated(rid, lineno)
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


@dataclass
class SpeechManifest:
    """A speech manifest as read: its good records (audio paths resolved) and its bad lines."""

    path: Path
    records: list[SpeechRecord]
    errors: list[ManifestLineError]

    def require_clean(self) -> SpeechManifest:
        """This manifest, or a :class:`SaladError` listing its bad lines."""
        if self.errors:
            shown = "\n".join(f"  - {e.format()}" for e in self.errors[:20])
            more = f"\n  ... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
            raise SaladError(f"speech manifest {self.path} has {len(self.errors)} bad "
                             f"line(s):\n{shown}{more}")
        return self


def read_speech_manifest(path: str | Path) -> SpeechManifest:
    """Every record of a speech manifest, with each bad line as a :class:`ManifestLineError`."""
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"speech manifest {path} not found")
    records, errors, ids = [], [], _Ids()
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, ManifestLineError):
            errors.append(obj)
            continue
        rid = obj.get("id") if isinstance(obj.get("id"), str) else None
        try:
            rec = SpeechRecord.from_dict(obj)
        except (ValueError, TypeError) as exc:
            errors.append(ManifestLineError(str(path), lineno, str(exc), rid))
            continue
        repeated = ids.repeated(rec.id, lineno)
        if repeated:
            errors.append(ManifestLineError(str(path), lineno, repeated, rec.id))
            continue
        rec.audio = str(resolve_audio(path, rec.audio))
        records.append(rec)
    return SpeechManifest(path, records, errors)


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
    for _, obj in iter_json_lines(path):
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
