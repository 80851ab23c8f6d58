"""Fortune cookies from Debian ``fortunes`` (``/usr/share/games/fortunes``; topic = file name).

Each topic file holds entries separated by lines containing only ``%``. Attribution lines
(``-- Author``) and overstruck characters (``x<BS>y``) are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, process_records

_OVERSTRIKE_RE = re.compile(r".\x08")
_ATTRIBUTION_RE = re.compile(r"^\s*--\s?\S")


def topic_files(root: Path) -> list[Path]:
    """Topic files: regular files without an extension (``.dat`` indexes and ``.u8`` links
    are skipped)."""
    return sorted(p for p in root.iterdir()
                  if p.is_file() and not p.is_symlink() and "." not in p.name)


def split_entries(text: str) -> list[str]:
    entries, current = [], []
    for line in text.splitlines():
        if line.strip() == "%":
            entries.append("\n".join(current))
            current = []
        elif not _ATTRIBUTION_RE.match(line):
            current.append(line)
    entries.append("\n".join(current))
    return [e for e in entries if e.strip()]


class FortunesCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        self.root = Path(config.fortunes_dir)
        if not self.root.is_dir() or not topic_files(self.root):
            raise SaladError(f"no fortune files in {self.root} (apt-get install fortunes)")

    def _raw(self) -> Iterator[TextRecord]:
        cfg = self.config
        for path in topic_files(self.root):
            topic = path.name
            if topic in cfg.exclude_topics or (cfg.topics is not None and topic not in cfg.topics):
                continue
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            text = _OVERSTRIKE_RE.sub("", text)
            for n, entry in enumerate(split_entries(text)):
                yield TextRecord(f"fortunes:{topic}:{n}", entry, "fortunes", (topic,))

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
