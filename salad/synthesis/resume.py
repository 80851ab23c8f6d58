"""What earlier runs of a synthesis job left behind, and which of it still holds.

Every task carries a ``task_key``: a hash of what shapes its audio and record other than the
engine's version (engine, engine config, voice, speaker label, augmentation and its seed, text,
output rate, the ASR model of the quality check). A row of the output manifest counts as done
only when its ``task_key`` matches the current task's; a row written under other settings is
stale: it is removed and the item is done again (its audio may still come from the cache). Rows
written before task keys existed count as done when engine, voice, text and rate match. A
repeated id (left by two jobs that wrote one manifest before the job took a lock) keeps its
first row. Failures recorded under other settings are forgotten, so the item is tried again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..data.files import atomic_write_lines
from ..data.manifests import read_json_lines_tolerant
from .config import SynthesisConfig


def task_key(cfg: SynthesisConfig, spec_index: int, text: str) -> str:
    spec = cfg.voices[spec_index]
    augment = spec.augment if spec.augment is not None else cfg.augment
    payload = {"engine": spec.engine, "config": spec.config, "voice": spec.voice,
               "speaker": spec.speaker, "text": text, "sample_rate": cfg.sample_rate,
               "augment": augment.model_dump(mode="json") if augment else None,
               "seed": cfg.seed if augment else None}
    if cfg.transcribe:  # rows without the requested transcript are done again (audio cached)
        payload["transcribe"] = cfg.transcribe
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


@dataclass
class Previous:
    done: set[str] = field(default_factory=set)      # ids whose row matches the current task
    failed: set[str] = field(default_factory=set)    # ids to skip: failed under these settings
    stale: int = 0                                   # rows removed: written under other settings
    repeated: int = 0                                # rows removed: an id written twice


def _row_matches(row: dict, task: dict, cfg: SynthesisConfig) -> bool:
    if row.get("task_key"):
        return row["task_key"] == task["task_key"]
    spec = cfg.voices[task["spec"]]
    return (row.get("engine"), row.get("voice"), row.get("text"), row.get("sample_rate")) == (
        spec.engine, spec.voice, task["text"], cfg.sample_rate)


def _rewrite(path: Path, rows: Iterable[dict]) -> None:
    atomic_write_lines(path, (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows))


def load_previous(cfg: SynthesisConfig, tasks: dict[str, dict]) -> Previous:
    """Read the output manifest and the failures file (``tasks``: id -> planned task), and
    rewrite them without the rows that no longer hold. Call it holding the job's lock."""
    prev = Previous()
    output, failures = Path(cfg.output), Path(cfg.failures_path)
    kept, seen = [], set()
    for row in read_json_lines_tolerant(output):
        rid = row.get("id")
        if not isinstance(rid, str):  # not a row of this job: left for readers to report
            kept.append(row)
        elif rid in seen:
            prev.repeated += 1
        elif rid in tasks and not _row_matches(row, tasks[rid], cfg):
            prev.stale += 1
        else:
            kept.append(row)
            seen.add(rid)
            if rid in tasks:
                prev.done.add(rid)
    if prev.stale or prev.repeated:
        _rewrite(output, kept)
    rows = list(read_json_lines_tolerant(failures))
    keep = [r for r in rows if r.get("stage") == "input" or (
        not cfg.retry_failed and (r.get("id") not in tasks or not r.get("task_key")
                                  or r["task_key"] == tasks[r["id"]]["task_key"]))]
    if len(keep) != len(rows):
        _rewrite(failures, keep)
    prev.failed = {r["id"] for r in keep if "id" in r}
    return prev
