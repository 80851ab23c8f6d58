"""Natural speech into SALAD speech manifests: lhotse cuts (LibriHeavy) and Hugging Face
``datasets`` (Emilia-YODAS) -> JSONL lines of :class:`~salad.data.manifests.SpeechRecord`.
The reverse of :mod:`salad.data.manifest_export`; docs/manifests.md ("Importing natural speech").

- Each utterance keeps its audio file when it *is* a whole file; audio that is not (a slice of
  a long recording, an in-memory array, encoded bytes) is written as FLAC under ``audio_dir``,
  atomically, at ``sample_rate``.
- Stage I builds windows from consecutive lines with the same first ``domains`` value, so every
  line gets ``domains: ["<source>:<recording>"]`` and the segments of one recording are written
  together, ordered by their start in it.
- A bad row (no text, no audio, audio that cannot be read, empty or non-finite) is skipped and
  written to ``<output>.failures.jsonl``; it never stops the import.
- Resumable: ids already in the output (or, unless ``retry_failed``, in the failures file) are
  skipped, lines are appended and flushed one at a time, and audio files already written are
  reused. An exclusive lock on ``<output>.lock`` keeps two imports from writing one manifest.

lhotse and datasets are optional and imported inside the functions that read them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import SaladError
from .audio import TARGET_SAMPLE_RATE, resample, to_mono_float32, write_audio
from .files import atomic_write_text, exclusive_lock
from .manifests import JsonlAppender, SpeechRecord, read_json_lines_tolerant, relative_audio
from .progress import progress_bar

AudioSource = Callable[[], "str | tuple[np.ndarray, int]"]
"""Returns the utterance's audio: the path of a whole file, or ``(samples, sample rate)``."""


@dataclass
class Utterance:
    """One row to import; ``audio()`` is called only when the row is not done yet."""

    id: str
    text: str
    recording: str
    audio: AudioSource
    start: float = 0.0
    speaker: str = ""


@dataclass
class BadRow:
    """A row that could not even be read (no id, no text, no audio column, ...)."""

    id: str
    recording: str
    error: str


@dataclass
class ImportSummary:
    output: Path
    written: int = 0
    done_before: int = 0
    failed: int = 0
    failed_before: int = 0
    audio_files: int = 0
    seconds: float = 0.0
    recordings: int = 0
    split_recordings: list[str] = field(default_factory=list)
    failures: Path | None = None

    def format(self) -> str:
        lines = [f"{self.output}: {self.written} utterances written "
                 f"({self.seconds / 3600:.2f} h, {self.audio_files} audio files written, "
                 f"{self.recordings} recordings), {self.done_before} done before, "
                 f"{self.failed} failed, {self.failed_before} failed before"
                 + (f" (listed in {self.failures})" if self.failed or self.failed_before
                    else "")]
        if self.split_recordings:
            lines.append(f"warning: {len(self.split_recordings)} recording(s) appear in more "
                         "than one run of the input (each run is ordered on its own): "
                         + ", ".join(self.split_recordings[:5]))
        return "\n".join(lines)


def failures_path(output: str | Path) -> Path:
    """``<output>.failures.jsonl``, as the synthesis job names its failures."""
    return Path(f"{output}.failures.jsonl")


def default_audio_dir(output: str | Path) -> Path:
    out = Path(output)
    return out.parent / f"{out.name.split('.')[0]}_audio"


def audio_file_name(uid: str) -> str:
    """``<2 hex>/<id made safe>.<10 hex>.flac``: unique per id, safe on any filesystem."""
    digest = hashlib.sha256(uid.encode("utf-8")).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", uid)[:100]
    return f"{digest[:2]}/{safe}.{digest[:10]}.flac"


def _file_info(path: Path) -> tuple[float, int]:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise SaladError(f"cannot read audio file {path}: {exc}") from exc
    if info.frames <= 0:
        raise SaladError(f"audio file {path} is empty")
    return info.frames / info.samplerate, int(info.samplerate)


class _Writer:
    """Resolves each utterance's audio and appends its manifest line (or its failure)."""

    def __init__(self, output: Path, audio_dir: Path, source: str, sample_rate: int | None,
                 retry_failed: bool, summary: ImportSummary):
        self.output, self.audio_dir, self.source = output, audio_dir, source
        self.sample_rate, self.summary = sample_rate, summary
        self.done = {o["id"] for o in read_json_lines_tolerant(output) if "id" in o}
        self.failures = failures_path(output)
        self.failed = set() if retry_failed else {
            o["id"] for o in read_json_lines_tolerant(self.failures) if "id" in o}
        if retry_failed and self.failures.is_file():  # every failure is tried again
            atomic_write_text(self.failures, "")
        self.lines = JsonlAppender(output)
        self.bad = JsonlAppender(self.failures)
        summary.failures = self.failures

    def fail(self, uid: str, recording: str, stage: str, error: str) -> None:
        if uid in self.done:
            return
        if uid in self.failed:
            self.summary.failed_before += 1
            return
        self.failed.add(uid)
        self.bad.write({"id": uid, "recording": recording, "stage": stage, "error": error})
        self.summary.failed += 1

    def write(self, utt: Utterance) -> None:
        if utt.id in self.done:
            self.summary.done_before += 1
            return
        if utt.id in self.failed:
            self.summary.failed_before += 1
            return
        try:
            audio, duration, rate = self._audio(utt)
        except Exception as exc:  # noqa: BLE001 - any reader error is this row's failure
            first = (str(exc).strip().splitlines() or [""])[0]
            self.fail(utt.id, utt.recording, "audio", f"{type(exc).__name__}: {first[:300]}")
            return
        rec = SpeechRecord(id=utt.id, audio=relative_audio(self.output, audio), text=utt.text,
                           duration=round(duration, 4), sample_rate=rate, speaker=utt.speaker,
                           source=self.source, domains=[f"{self.source}:{utt.recording}"])
        self.lines.write({k: v for k, v in rec.__dict__.items() if v not in (None, "", 0)})
        self.done.add(utt.id)
        self.summary.written += 1
        self.summary.seconds += duration

    def _audio(self, utt: Utterance) -> tuple[Path, float, int]:
        path = self.audio_dir / audio_file_name(utt.id)
        if path.is_file():  # written by an earlier, killed run (writes are atomic)
            duration, rate = _file_info(path)
            return path, duration, rate
        got = utt.audio()
        if isinstance(got, (str, Path)):  # a whole file: referenced, not copied
            whole = Path(got).resolve()
            duration, rate = _file_info(whole)
            return whole, duration, rate
        samples, rate = got
        samples = to_mono_float32(samples)
        if samples.size == 0:
            raise SaladError("empty audio (0 samples)")
        if not np.all(np.isfinite(samples)):
            raise SaladError("non-finite samples")
        if self.sample_rate and rate != self.sample_rate:
            samples, rate = resample(samples, rate, self.sample_rate), self.sample_rate
        write_audio(path, samples, rate)
        self.summary.audio_files += 1
        return path, len(samples) / rate, int(rate)

    def close(self) -> None:
        self.lines.close()
        self.bad.close()


def import_utterances(rows: Iterable[Utterance | BadRow], output: str | Path, *, source: str,
                      audio_dir: str | Path | None = None,
                      sample_rate: int | None = TARGET_SAMPLE_RATE, retry_failed: bool = False,
                      total: int | None = None, progress: bool = True,
                      desc: str = "import") -> ImportSummary:
    """Write ``rows`` to the speech manifest ``output`` (appending; see the module docstring).
    Consecutive rows of one recording are written together, sorted by ``start``."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", source):
        raise SaladError(f"source {source!r}: use letters, digits, '.', '_' or '-'")
    output = Path(output)
    audio_dir = Path(audio_dir) if audio_dir else default_audio_dir(output)
    summary = ImportSummary(output)
    seen: set[str] = set()
    with exclusive_lock(f"{output}.lock", waiting=lambda: print(
            f"waiting for another import writing {output}")):
        writer = _Writer(output, audio_dir, source, sample_rate, retry_failed, summary)
        try:
            bar = progress_bar(rows, desc=desc, unit="utt", total=total, disable=not progress)
            for run in _recording_runs(bar, writer):
                rec = run[0].recording
                if rec in seen and rec not in summary.split_recordings:
                    summary.split_recordings.append(rec)
                seen.add(rec)
                for utt in sorted(run, key=lambda u: u.start):
                    writer.write(utt)
        finally:
            writer.close()
    summary.recordings = len(seen)
    return summary


def _recording_runs(rows: Iterable[Utterance | BadRow], writer: _Writer
                    ) -> Iterator[list[Utterance]]:
    run: list[Utterance] = []
    for row in rows:
        if isinstance(row, BadRow):
            writer.fail(row.id, row.recording, "input", row.error)
            continue
        if run and row.recording != run[-1].recording:
            yield run
            run = []
        run.append(row)
    if run:
        yield run


def lookup(obj: Any, key: str) -> Any:
    """``obj[a][b][0]`` for ``key`` ``"a.b.0"`` (dicts and lists); None where it is missing."""
    for part in key.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, (list, tuple)) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj
