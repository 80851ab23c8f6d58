"""One registry per component kind: a name -> record table with helpful lookups."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from .errors import UnknownComponentError
from .kinds import KINDS
from .records import ComponentRecord
from .suggest import did_you_mean


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._records: dict[str, ComponentRecord] = {}

    def add(self, record: ComponentRecord) -> None:
        self._records[record.name] = record

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def names(self) -> list[str]:
        return sorted(self._records)

    def records(self) -> list[ComponentRecord]:
        return [self._records[n] for n in self.names()]

    def unknown_message(self, name: str) -> str:
        title = KINDS[self.kind].title
        valid = ", ".join(self.names()) or "none installed"
        return f"unknown {title} {name!r}{did_you_mean(name, self._records)} (valid: {valid})"

    def get(self, name: str) -> ComponentRecord:
        try:
            return self._records[name]
        except KeyError:
            raise UnknownComponentError(self.unknown_message(name)) from None

    def build(self, name: str, config: Mapping[str, Any] | BaseModel | None = None) -> Any:
        return self.get(name).build(config)
