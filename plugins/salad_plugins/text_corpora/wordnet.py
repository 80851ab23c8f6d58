"""WordNet usage examples and glosses from Debian ``wordnet-base`` (``/usr/share/wordnet``).

Each synset line of ``data.<pos>`` holds its lexicographer file number (the domain label, one
of 45 such as ``noun.animal`` or ``verb.motion``) and a gloss: definitions separated by ``;``
followed by usage examples in double quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, as_sentence, process_records

LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
_EXAMPLE_RE = re.compile(r'"([^"]+)"')


def parse_gloss(gloss: str) -> tuple[list[str], list[str]]:
    """Split a gloss into (definitions, usage examples)."""
    examples = [e.strip() for e in _EXAMPLE_RE.findall(gloss) if e.strip()]
    head = gloss.split('"', 1)[0]
    definitions = [d.strip() for d in head.split(";") if d.strip()]
    return definitions, examples


class WordNetCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        self.root = Path(config.wordnet_dir)
        missing = [p for p in config.pos if not (self.root / f"data.{p}").is_file()]
        if missing:
            raise SaladError(f"WordNet data files {', '.join('data.' + p for p in missing)} not "
                             f"found in {self.root} (apt-get install wordnet-base)")

    def _raw(self) -> Iterator[TextRecord]:
        parts = set(self.config.parts)
        for pos in self.config.pos:
            with open(self.root / f"data.{pos}", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith(" ") or " | " not in line:
                        continue  # licence header
                    head, gloss = line.rstrip("\n").split(" | ", 1)
                    fields = head.split()
                    offset, lexfile = fields[0], int(fields[1])
                    domain = LEXNAMES[lexfile] if lexfile < len(LEXNAMES) else f"lex{lexfile}"
                    definitions, examples = parse_gloss(gloss)
                    base = f"wordnet:{pos}:{offset}"
                    if "examples" in parts:
                        for n, ex in enumerate(examples):
                            yield TextRecord(f"{base}:e{n}", as_sentence(ex), "wordnet", (domain,))
                    if "glosses" in parts:
                        for n, d in enumerate(definitions):
                            yield TextRecord(f"{base}:g{n}", as_sentence(d), "wordnet", (domain,))

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
