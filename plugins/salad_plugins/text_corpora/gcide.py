"""Definitions from the GNU Collaborative International Dictionary of English (Debian
``dict-gcide``: ``/usr/share/dictd/gcide.dict.dz``, a dictzip file that gzip can read).

The dictionary text is a sequence of blank-line separated blocks. A block starting in column 0
is an entry header (``Word \\Pro*nun"ci*a`tion\\, pos. [etymology]``) possibly followed by the
first definition; indented blocks are numbered senses; deeply indented blocks are literary
quotations. A leading subject label such as ``(Zool.)`` becomes the domain label (``zool``);
senses without one are labelled ``general``.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, as_sentence, process_records

_TAG_LINE_RE = re.compile(r"^\s*\[[^\]]*\]\s*$")
_SENSE_RE = re.compile(r"^(?:\d+\.|\([a-z]\))\s*")
_LABEL_RE = re.compile(r"^(?:pl\.\s*)?\(([A-Z][A-Za-z. ]{1,24})\)[.,]?\s*")
_TRAILING_LABEL_RE = re.compile(r"\(([A-Z][A-Za-z. ]{1,24})\)\s*$")
_BODY_START_RE = re.compile(r"^(?:[A-Z0-9\"{]|\([A-Z][a-z])")
_BRACKET_RE = re.compile(r"\[[^\[\]]*\]")
QUOTE_INDENT = 8


def _strip_header(lines: list[str]) -> str:
    """Text of a header block after the headword, pronunciation, part of speech and
    etymology. The header runs over column-0 lines and lines inside an open ``[...]``/``(...)``;
    a subject label ending it (``... ] (Mining)``) is kept for the first sense."""
    depth, cut = 0, len(lines)
    for i, line in enumerate(lines):
        if i > 0 and line[:1] == " " and depth == 0 and _BODY_START_RE.match(line.strip()):
            cut = i
            break
        opened = line.count("[") + line.count("(")
        depth = max(0, depth + opened - line.count("]") - line.count(")"))
    header = " ".join(x.strip() for x in lines[:cut])
    body = " ".join(x.strip() for x in lines[cut:])
    label = _TRAILING_LABEL_RE.search(header.rsplit("]", 1)[-1].rsplit("\\", 1)[-1])
    if label and body and not _LABEL_RE.match(_SENSE_RE.sub("", body)):
        body = f"({label.group(1)}) {body}"
    return body


def parse_sense(text: str) -> tuple[str, str]:
    """(definition text, domain label) of one sense paragraph."""
    text = _SENSE_RE.sub("", text.strip())
    if text.startswith("{"):
        text = text.split("}", 1)[-1].lstrip(" .,;")
    label = "general"
    m = _LABEL_RE.match(text)
    if m:
        label = m.group(1).strip().rstrip(".").lower().replace(" ", "_")
        text = text[m.end():]
    text = _BRACKET_RE.sub("", text)
    text = text.replace("{", "").replace("}", "").replace("[", "").replace("]", "")
    text = re.split(r"\s?--|; as,", text, maxsplit=1)[0]
    return " ".join(text.split()).strip(" ,;:"), label


def iter_blocks(path: Path) -> Iterator[list[str]]:
    block: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if block:
                    yield block
                block = []
            elif not _TAG_LINE_RE.match(line):
                block.append(line)
    if block:
        yield block


class GcideCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        self.path = Path(config.dict_path)
        if not self.path.is_file():
            raise SaladError(f"GCIDE dictionary {self.path} not found (apt-get install dict-gcide)")

    def _raw(self) -> Iterator[TextRecord]:
        entry, sense = 0, 0
        for block in iter_blocks(self.path):
            indent = len(block[0]) - len(block[0].lstrip())
            if indent == 0:
                if block[0].startswith("00-database"):
                    continue
                entry, sense = entry + 1, 0
                body = _strip_header(block)
            elif indent >= QUOTE_INDENT or not entry:
                continue  # literary quotation or preamble
            else:
                body = " ".join(s.strip() for s in block)
            if not body.strip() or body.lstrip().startswith(("Syn", "Note:", "See ")):
                continue
            text, label = parse_sense(body)
            if text and not text.startswith("See "):
                sense += 1
                yield TextRecord(f"gcide:{entry}.{sense}", as_sentence(text), "gcide", (label,))

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
