"""Local corpora: plain text (one text per line) or JSONL with configurable fields.

A bad line (invalid JSON, missing or non-string text field, bad domain field) is reported with
``file:line`` and counted under ``bad_line`` in :attr:`TextFileCorpus.stats`; with
``on_error: raise`` it stops with a :class:`~salad.core.errors.SaladError` instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, process_records

log = logging.getLogger(__name__)


class TextFileCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        self.problems: list[str] = []
        self.paths = [Path(p).expanduser() for p in config.paths]
        if not self.paths:
            raise SaladError("salad.text_file_corpus.v1: set 'paths' to one or more text/JSONL "
                             "files")
        missing = [str(p) for p in self.paths if not p.is_file()]
        if missing:
            raise SaladError(f"corpus file(s) not found: {', '.join(missing)}")

    def _is_jsonl(self, path: Path) -> bool:
        fmt = self.config.format
        return fmt == "jsonl" or (fmt == "auto" and path.suffix.lower() in (".jsonl", ".json"))

    def _bad(self, where: str, why: str) -> None:
        message = f"{where}: {why}"
        if self.config.on_error == "raise":
            raise SaladError(message)
        self.problems.append(message)
        self.stats["bad_line"] += 1
        log.warning("skipping bad corpus line %s", message)

    def _parse_json(self, line: str, where: str, default_id: str) -> TextRecord | None:
        cfg = self.config
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            return self._bad(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
        if not isinstance(obj, dict):
            return self._bad(where, "expected a JSON object")
        text = obj.get(cfg.text_field)
        if not isinstance(text, str):
            return self._bad(where, f"field {cfg.text_field!r} missing or not a string")
        rid = obj.get(cfg.id_field) if cfg.id_field else None
        domains = list(cfg.default_domains)
        if cfg.domain_field and obj.get(cfg.domain_field) is not None:
            value = obj[cfg.domain_field]
            if isinstance(value, str):
                value = [value]
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return self._bad(where, f"field {cfg.domain_field!r} must be a string or list "
                                        "of strings")
            domains += value
        rid = default_id if rid is None else str(rid)
        return TextRecord(rid, text, "text_file", tuple(domains))

    def _raw(self) -> Iterator[TextRecord]:
        for path in self.paths:
            jsonl = self._is_jsonl(path)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    default_id = f"{path.stem}:{lineno}"
                    if not jsonl:
                        yield TextRecord(default_id, line.strip(), "text_file",
                                         tuple(self.config.default_domains))
                        continue
                    rec = self._parse_json(line, f"{path}:{lineno}", default_id)
                    if rec is not None:
                        yield rec

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
