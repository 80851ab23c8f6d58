"""Every benchmark record passes the benchmark contract on small hand-made files."""

from __future__ import annotations

from pathlib import Path

from salad.testing import BenchmarkContract

DATA = Path(__file__).resolve().parents[1] / "data" / "handmade_items"  # hand-written items
FILES = {"hellaswag": "hellaswag_format.jsonl", "winogrande": "winogrande_format.jsonl",
         "lambada": "lambada_format.jsonl"}
NAMES = ["openbookqa", "piqa", "arc_challenge", "hellaswag", "storycloze", "mmsu", "copa",
         "winogrande", "boolq", "lambada"]

for _name in NAMES:
    _cls = type(f"Test{_name.title().replace('_', '')}Contract", (BenchmarkContract,), {
        "component_name": f"salad.{_name}.v1",
        "config": {"path": str(DATA / FILES.get(_name, "mc.jsonl"))},
    })
    globals()[_cls.__name__] = _cls


class TestJsonlBenchmarkContract(BenchmarkContract):
    component_name = "salad.jsonl_benchmark.v1"
    config = {"name": "toy", "format": "multiple_choice_answer", "path": str(DATA / "mc.jsonl")}
