"""Hugging Face ``datasets`` corpora (streaming), e.g. FineWeb-Edu for online users.

``datasets`` is imported when the corpus is built. Local files work too:
``dataset: json`` with ``data_files: [corpus.jsonl]`` (or ``parquet``).
"""

from __future__ import annotations

from collections.abc import Iterator

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import TextStats, process_records


class HFCorpus:
    def __init__(self, config):
        self.config = config
        self.stats = TextStats()
        try:
            import datasets  # noqa: F401
        except ImportError as exc:
            raise SaladError("salad.hf_corpus.v1 needs Hugging Face datasets: "
                             "pip install datasets") from exc

    def _load(self):
        import datasets

        cfg = self.config
        kwargs = {"split": cfg.split, "streaming": cfg.streaming}
        if cfg.data_files:
            kwargs["data_files"] = cfg.data_files
        name = None if cfg.data_files else cfg.name
        try:
            return datasets.load_dataset(cfg.dataset, name, **kwargs)
        except Exception as exc:
            raise SaladError(f"salad.hf_corpus.v1: cannot load dataset {cfg.dataset!r} "
                             f"(config {name!r}, split {cfg.split!r}): {exc}") from exc

    def _raw(self) -> Iterator[TextRecord]:
        cfg = self.config
        label = cfg.dataset.rsplit("/", 1)[-1]
        for n, row in enumerate(self._load()):
            text = row.get(cfg.text_field)
            if not isinstance(text, str):
                self.stats["bad_row"] += 1
                continue
            rid = row.get(cfg.id_field) if cfg.id_field else None
            domains = tuple(str(row[f]) for f in cfg.domain_fields if row.get(f) is not None)
            yield TextRecord(f"{label}:{n if rid is None else rid}", text, label, domains)

    def iter_records(self) -> Iterator[TextRecord]:
        yield from process_records(self._raw(), self.config.filters, self.stats,
                                   limit=self.config.limit)
