from __future__ import annotations

import json
from pathlib import Path

import pytest

TONE_PLUGIN = str(Path(__file__).resolve().parents[1] / "helpers" / "tone_tts.py")


def write_texts(path: Path, n: int, extra_lines: list[str] = ()) -> list[str]:
    ids, lines = [], []
    for i in range(n):
        rid = f"t{i:03d}"
        ids.append(rid)
        lines.append(json.dumps({"id": rid, "text": f"text number {i} says hello",
                                 "source": "test", "domains": [f"d{i % 3}"]}))
    lines.extend(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return ids


def job_config(tmp: Path, n: int = 12, workers: int = 1, extra_lines=(), **engine) -> dict:
    write_texts(tmp / "texts.jsonl", n, list(extra_lines))
    engine = {"calls_log": str(tmp / "calls.log"), **engine}
    return {
        "input": str(tmp / "texts.jsonl"), "output": str(tmp / "out" / "speech.jsonl"),
        "cache_dir": str(tmp / "cache"), "workers": workers, "progress": False,
        "plugins": [TONE_PLUGIN], "min_duration_s": 0.1,
        "voices": [{"engine": "test.tone_tts.v1", "voice": "low", "config": engine},
                   {"engine": "test.tone_tts.v1", "voice": "high", "config": engine}],
    }


def calls(tmp: Path) -> list[str]:
    p = tmp / "calls.log"
    return p.read_text().splitlines() if p.exists() else []


def manifest_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def tone_plugin() -> str:
    return TONE_PLUGIN
