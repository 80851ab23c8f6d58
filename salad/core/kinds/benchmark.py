"""Benchmark sources: multiple-choice evaluation items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    from ..items import BenchmarkItem


@runtime_checkable
class BenchmarkSource(Protocol):
    name: str

    def iter_items(self) -> Iterator[BenchmarkItem]: ...


class BenchmarkChecks:
    def test_yields_valid_items(self, component):
        from itertools import islice

        from ..items import BenchmarkItem

        items = list(islice(component.iter_items(), 50))
        assert items
        for item in items:
            assert isinstance(item, BenchmarkItem)
            assert len(item.choices) >= 1
            if item.contexts is not None:  # per-option contexts, one shared continuation
                assert len(item.contexts) >= 2 and len(item.choices) == 1
            options = item.contexts if item.contexts is not None else item.choices
            assert 0 <= item.gold < len(options)
        assert len({i.id for i in items}) == len(items)


KIND = Kind(
    key="benchmark", hook="salad_benchmarks", title="benchmark",
    description="Yields multiple-choice evaluation items.",
    protocol=BenchmarkSource, contract="BenchmarkContract", checks=BenchmarkChecks,
    example="salad.openbookqa.v1", slot="benchmarks", order=100,
)
