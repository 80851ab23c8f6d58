"""Write ``salad.eval.v1`` result files (``eval/results.json`` + ``eval/items.jsonl``) for tests.

The numbers are synthetic and chosen by the test: ``scores`` maps benchmark -> mode ->
``(acc_norm, acc)``. Gaps are teacher text minus the mode in the headline metric with a fixed
+-0.04 interval; items.jsonl holds per-item rows consistent with the accuracies, and the pooled
gaps are computed from them as ``salad eval`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from salad.evaluation.stats import pooled_gaps


def scaling_history(tokens, E=0.2, B=30.0, beta=0.5, forgetting=0.01) -> list[dict]:
    """A Stage I history whose misalignment follows M(D) = E + B * D^-beta exactly."""
    rows = [{"step": 0, "tokens": 0, "misalignment": E + B, "forgetting": 0.0,
             "speech_nll": 5.0}]
    for i, d in enumerate(tokens, start=1):
        rows.append({"step": 10 * i, "tokens": int(d), "misalignment": E + B * d ** -beta,
                     "forgetting": forgetting * i / len(tokens), "speech_nll": 4.0})
    return rows


def training_block(history: list[dict]) -> dict:
    end = history[-1]
    return {"misalignment": end["misalignment"], "forgetting": end["forgetting"],
            "tokens": end["tokens"], "history": history}


def write_eval_results(run_dir, label: str, scores: dict, *, voices=("piper:joe",),
                       training: dict | None = None, n_items: int = 100,
                       skipped: dict | None = None, wer: float | None = 0.061,
                       metric: str = "acc_norm", chance: float | None = None) -> Path:
    """Write ``run_dir/eval/results.json`` and ``items.jsonl``; returns the results path."""
    eval_dir = Path(run_dir) / "eval"
    eval_dir.mkdir(parents=True, exist_ok=True)
    skipped = skipped or {}
    benchmarks, items = [], []
    for bench, modes in scores.items():
        entry = {"benchmark": bench, "n_items": n_items, "modes": {}, "gaps": {},
                 **({"chance": chance} if chance is not None else {})}
        for mode, (acc_norm, acc) in modes.items():
            skip = skipped.get((bench, mode), 0)
            m = {"acc": acc, "acc_norm": acc_norm, "n": n_items - skip, "skipped": skip}
            if mode.startswith("cascade@") and wer is not None:
                m["wer"] = wer
            entry["modes"][mode] = m
            for i in range(n_items - skip):
                items.append({"benchmark": bench, "mode": mode, "item": f"{bench}/{i}",
                              "correct": i < round(acc * (n_items - skip)),
                              "correct_norm": i < round(acc_norm * (n_items - skip))})
        teacher = modes.get("teacher_text")
        for mode, values in modes.items():
            if mode == "teacher_text" or teacher is None:
                continue
            k = 0 if metric == "acc_norm" else 1
            gap = teacher[k] - values[k]
            entry["gaps"][mode] = {"value": gap, "ci95": [gap - 0.04, gap + 0.04],
                                   "n": n_items - skipped.get((bench, mode), 0)}
        benchmarks.append(entry)
    results = {
        "schema": "salad.eval.v1", "label": label, "run_dir": str(run_dir),
        "checkpoint": f"{run_dir}/stage1/checkpoints/final" if training else None,
        "shots": 0, "seed": 0, "metric": metric, "voices": list(voices),
        "training": training, "benchmarks": benchmarks, "seconds": 12.5,
        "pooled_gaps": pooled_gaps(items, "correct_norm" if metric == "acc_norm" else "correct"),
    }
    path = eval_dir / "results.json"
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    (eval_dir / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items),
                                          encoding="utf-8")
    return path
