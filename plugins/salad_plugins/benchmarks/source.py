"""Benchmark sources: items from a local JSONL file or from Hugging Face ``datasets``."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from salad.core.errors import SaladError
from salad.core.items import BenchmarkItem
from salad.data.manifests import ManifestLineError, iter_json_lines

from .specs import BenchmarkSpec

ENV_DIR = "SALAD_BENCHMARKS_DIR"


def _item(spec_name: str, parser, row: Mapping[str, Any], item_id: str, where: str):
    if not isinstance(row, Mapping):
        raise SaladError(f"{where}: expected a JSON object, got {type(row).__name__}")
    try:
        context, choices, gold, contexts, meta = parser(row)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise SaladError(f"{where}: {spec_name}: {exc}") from None
    return BenchmarkItem(id=item_id, benchmark=spec_name, context=context, choices=choices,
                         gold=gold, contexts=contexts, meta=meta)


def read_jsonl(path: Path, name: str, parser) -> Iterator[BenchmarkItem]:
    """Items of a local JSONL file; a bad line (not UTF-8, not a JSON object, not an item)
    raises an error naming ``file:line``, and so does a file without items. Blank lines are
    skipped."""
    if not path.is_file():
        raise SaladError(f"{name}: benchmark file not found: {path}")
    count = 0
    for lineno, row in iter_json_lines(path, skip_blank=True):
        if isinstance(row, ManifestLineError):
            raise SaladError(f"{name}: {row.format()}")
        count += 1
        yield _item(name, parser, row, f"{name}-{lineno:05d}", f"{path}:{lineno}")
    if not count:
        raise SaladError(f"{name}: benchmark file {path} holds no items")


def map_hf_rows(spec: BenchmarkSpec, rows: Iterable[Mapping[str, Any]], split: str):
    """Items from Hugging Face rows (any iterable of dicts, e.g. a ``datasets.Dataset``)."""
    for index, row in enumerate(rows):
        row_id = row.get(spec.id_field) if spec.id_field else None
        item_id = f"{spec.name}-{split}-{row_id if row_id not in (None, '') else index}"
        yield _item(spec.name, spec.hf_parser, row, item_id, f"{spec.hf.dataset}[{split}][{index}]")


def load_hf_rows(dataset: str, config: str | None, split: str, data_dir: str | None = None,
                 revision: str | None = None):
    try:
        import datasets
    except ImportError as exc:
        raise SaladError("loading benchmarks from the hub needs `datasets`: "
                         "pip install 'salad-speech[hf]'") from exc
    return datasets.load_dataset(dataset, config, split=split, data_dir=data_dir,
                                 revision=revision)


class BenchmarkSourceImpl:
    """A benchmark source built from a spec and a validated config (see ``hooks``)."""

    def __init__(self, spec: BenchmarkSpec, config: Any):
        self.spec = spec
        self.config = config
        self.name = spec.name

    def describe(self) -> str:
        path = self.local_path()
        return f"{path}" if path else f"hf:{self._hf_args()[0]}"

    def local_path(self) -> Path | None:
        if self.config.path:
            return Path(self.config.path).expanduser()
        if self.config.hf:
            return None
        base = self.config.data_dir or os.environ.get(ENV_DIR)
        if not base:
            raise SaladError(
                f"{self.spec.record}: no data source: set `path` to a local JSONL file, set "
                f"`data_dir` or {ENV_DIR} to a folder holding {self.spec.local_file}, or set "
                "`hf: true` "
                f"(online, needs pip install 'salad-speech[hf]')")
        return Path(base).expanduser() / self.spec.local_file

    def _hf_args(self) -> tuple[str, str | None, tuple[str, ...], str | None, str | None]:
        hf = self.config.hf
        default = self.spec.hf
        if hf is True:
            if default is None:
                raise SaladError(f"{self.spec.record}: no Hugging Face source is known")
            return default.dataset, default.config, default.splits, None, None
        return hf.dataset, hf.config, tuple(hf.splits), hf.data_dir, hf.revision

    def _all_items(self) -> Iterator[BenchmarkItem]:
        path = self.local_path()
        if path is not None:
            yield from read_jsonl(path, self.spec.name, self.spec.local_parser)
            return
        if self.spec.hf_parser is None:
            raise SaladError(f"{self.spec.record}: no Hugging Face row mapping")
        dataset, config, splits, data_dir, revision = self._hf_args()
        if self.spec.hf and self.spec.hf.data_dir_required and not data_dir:
            raise SaladError(f"{self.spec.record}: {dataset} is distributed on request; "
                             "download it and set hf.data_dir")
        for split in splits:
            rows = load_hf_rows(dataset, config, split, data_dir, revision)
            yield from map_hf_rows(self.spec, rows, split)

    def iter_items(self) -> Iterator[BenchmarkItem]:
        """All items, or a seeded subset of ``limit`` items kept in file order. Subsets are
        nested: with the same seed, a smaller ``limit`` keeps a subset of a larger one's items."""
        items = self._all_items()
        if self.config.limit is None:
            yield from items
            return
        items = list(items)
        if self.config.limit < len(items):
            order = list(range(len(items)))
            random.Random(self.config.seed).shuffle(order)
            items = [items[i] for i in sorted(order[: self.config.limit])]
        yield from items


def build_source(spec: BenchmarkSpec):
    """The record factory for ``spec``: ``config -> BenchmarkSourceImpl``."""

    def factory(config: Any) -> BenchmarkSourceImpl:
        return BenchmarkSourceImpl(spec, config)

    factory.__qualname__ = f"build_source[{spec.name}]"
    return factory
