"""Items the teacher gets right from text and the student gets wrong from speech.

Read from the ``items.jsonl`` that ``salad eval`` writes beside ``results.json``; each example
keeps what was spoken, the option the student chose, the right one and the audio.
"""

from __future__ import annotations

import json
from pathlib import Path

from .results import TEACHER_TEXT, RunResults, speech_mode

EXAMPLES_SHOWN = 8


def text_right_speech_wrong(run: RunResults, limit: int = EXAMPLES_SHOWN) -> list[dict]:
    """Up to ``limit`` main-voice speech rows of items the teacher answers right as text and
    the student answers wrong from speech, spread over the benchmarks; [] without
    ``items.jsonl`` (results held in memory, or written before items were)."""
    items = Path(run.path).parent / "items.jsonl"
    mode = speech_mode(run.main_voice)
    if mode is None or not items.is_file():
        return []
    key = "correct_norm" if run.metric == "acc_norm" else "correct"
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    right = {(r["benchmark"], r["item"]) for r in rows if r["mode"] == TEACHER_TEXT and r[key]}
    wrong = [r for r in rows if r["mode"] == mode and not r[key] and "audio" in r
             and (r["benchmark"], r["item"]) in right]
    by_bench: dict[str, list[dict]] = {}
    for row in wrong:
        by_bench.setdefault(row["benchmark"], []).append(row)
    picked: list[dict] = []
    while len(picked) < limit and any(by_bench.values()):  # round robin over benchmarks
        for rows_left in by_bench.values():
            if rows_left and len(picked) < limit:
                picked.append(rows_left.pop(0))
    return picked
