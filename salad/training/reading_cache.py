"""Held-out reading metrics of saved weights, per halves set, kept on disk.

Measuring a halves set runs the student six times per batch (minutes on a CPU for the
miniature's sets), and the same weights are measured by more than one stage: Stage I measures
its pre-decay and final weights as it trains, and Stage II shows them beside its own. Each set's
metrics are kept in ``<root>/<key>.json``, the key naming the run's components (encoder,
adapter, teacher, student, scorer, ...), the content of the weights file and the set's items,
so a stage reads what another measured and measures only the sets it lacks.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..core.launch import World
from ..data.files import atomic_write_json
from .reading import HalvesSet, reading_metrics

FORMAT = "salad-reading-metrics-v1"


class ReadingCache:
    def __init__(self, root: str | Path, components: dict[str, Any]):
        self.root = Path(root)
        self.components = components

    def key(self, weights: str, halves: HalvesSet) -> str:
        """Key of ``halves`` measured with the weights file of content hash ``weights``."""
        items = [[it.id, it.rest] for it in halves.items]
        parts = [FORMAT, self.components, weights, halves.name, items]
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, weights: str, halves: HalvesSet) -> dict[str, float] | None:
        key = self.key(weights, halves)
        try:
            saved = json.loads((self.root / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return saved["metrics"] if isinstance(saved, dict) and saved.get("key") == key else None

    def put(self, weights: str, halves: HalvesSet, metrics: dict[str, float]) -> None:
        key = self.key(weights, halves)
        atomic_write_json(self.root / f"{key}.json", {"key": key, "metrics": metrics})

    def measure(self, weights: str, model, teacher, scorer, held: list[HalvesSet], features,
                world: World | None = None, together: bool = False
                ) -> dict[str, dict[str, float]]:
        """Per set of ``held``, its metrics with the weights ``model`` holds now (their file's
        content hash is ``weights``): read from the cache, or measured and saved. The ranks of
        ``world`` take rank 0's saved metrics and share the measuring of the others."""
        world = world or World()
        known = world.from_main([self.get(weights, h) for h in held] if world.main else None)
        out = {}
        for h, metrics in zip(held, known):
            if metrics is None:
                metrics = reading_metrics(model, teacher, scorer, h, features, world=world,
                                          together=together)
                if world.main:
                    self.put(weights, h, metrics)
            out[h.name] = metrics
        return out
