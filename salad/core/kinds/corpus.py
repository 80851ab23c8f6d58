"""Corpus sources: text records (id, text, domain labels) for training and selection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    from ..items import TextRecord


@runtime_checkable
class CorpusSource(Protocol):
    def iter_records(self) -> Iterator[TextRecord]: ...


class CorpusChecks:
    min_records: ClassVar[int] = 1

    def test_yields_text_records(self, component):
        from itertools import islice

        from ..items import TextRecord

        records = list(islice(component.iter_records(), 200))
        assert len(records) >= self.min_records
        assert all(isinstance(r, TextRecord) and r.text.strip() and r.id for r in records)
        assert len({r.id for r in records}) == len(records), "ids must be unique"


KIND = Kind(
    key="corpus", hook="salad_corpora", title="corpus source",
    description="Yields text records (id, text, domain labels) for training and selection.",
    protocol=CorpusSource, contract="CorpusContract", checks=CorpusChecks,
    example="salad.popquotes_corpus.v1", slot="corpora", order=90,
)
