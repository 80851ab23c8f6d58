"""The merge step of an evaluation: the shards of its ranks (one shard on one process) joined
into the per-benchmark summaries, the per-item rows of ``items.jsonl`` and the per-voice
spoken-audio counts of ``results.json`` (schema ``salad.eval.v1``).

Rows are put back in item order per benchmark and mode, and every number is computed from the
joined rows, so the merged results do not depend on how the items were split among ranks.
A shard (written by :meth:`salad.evaluation.suite.Evaluation.score`) holds:

- ``benchmarks``: per benchmark its name, all item ids in order, its chance level and per mode
  this rank's ``rows``, ``skipped`` items (id -> reason) and, for the cascade, the spoken texts
  its items ``said`` (their keys);
- ``spoken``: per voice the spoken ``texts`` (key -> text), the keys with ``audio``, the keys
  that ``failed``, the ``failures_file`` and the cascade's ``transcripts`` (key -> text, or
  null).
"""

from __future__ import annotations

from salad.asr import corpus_wer

from .stats import paired_gap, pooled_gaps

SCHEMA = "salad.eval.v1"


def merge_shards(shards: list[dict], metric: str, bootstrap: int, seed: int) -> dict:
    """``{"benchmarks", "pooled_gaps", "spoken", "rows"}`` of the joined ``shards``."""
    correct_key = "correct_norm" if metric == "acc_norm" else "correct"
    spoken = _spoken(shards)
    rows: list[dict] = []
    benchmarks = []
    for b, bench in enumerate(shards[0]["benchmarks"]):
        order = {item: i for i, item in enumerate(bench["items"])}
        modes, correct = {}, {}
        for mode in bench["modes"]:
            parts = [s["benchmarks"][b]["modes"][mode] for s in shards]
            mode_rows = sorted((r for p in parts for r in p["rows"]),
                               key=lambda r: order[r["item"]])
            rows += mode_rows
            n = len(mode_rows)
            modes[mode] = {"acc": _mean(r["correct"] for r in mode_rows) if n else float("nan"),
                           "acc_norm": (_mean(r["correct_norm"] for r in mode_rows) if n
                                        else float("nan")),
                           "n": n, "skipped": len({k for p in parts for k in p["skipped"]})}
            if "said" in parts[0]:  # the cascade: the ASR's WER on this benchmark's texts
                voice = spoken[mode.partition("@")[2]]
                said = sorted({k for p in parts for k in p["said"]})
                modes[mode]["wer"] = corpus_wer((voice["texts"][k], voice["transcripts"][k])
                                                for k in said)
            correct[mode] = {r["item"]: r[correct_key] for r in mode_rows}
        gaps = {}
        if "teacher_text" in correct:
            gaps = {mode: paired_gap(correct["teacher_text"], c, resamples=bootstrap, seed=seed)
                    for mode, c in correct.items() if mode != "teacher_text"}
        benchmarks.append({"benchmark": bench["benchmark"], "n_items": len(bench["items"]),
                           "chance": bench["chance"], "modes": modes, "gaps": gaps})
    return {"benchmarks": benchmarks,
            "pooled_gaps": pooled_gaps(rows, correct_key, resamples=bootstrap, seed=seed),
            "spoken": {v: {"texts": len(sp["texts"]), "audio": len(sp["audio"]),
                           "failed": len(sp["failed"]), "failures_file": sp["failures_file"],
                           **({"wer": sp["wer"]} if sp["wer"] is not None else {})}
                       for v, sp in spoken.items()},
            "rows": rows}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def _spoken(shards: list[dict]) -> dict[str, dict]:
    """Per voice, the union of the shards' spoken texts, audio, failures and transcripts, and
    the cascade's WER over every transcribed text."""
    out = {}
    for voice in shards[0]["spoken"]:
        parts = [s["spoken"][voice] for s in shards]
        texts = {k: t for p in parts for k, t in p["texts"].items()}
        audio = {k for p in parts for k in p["audio"]}
        files = sorted({p["failures_file"] for p in parts})
        transcripts = None
        if parts[0]["transcripts"] is not None:
            transcripts = {k: t for p in parts for k, t in p["transcripts"].items()}
        out[voice] = {
            "texts": texts, "audio": audio,
            "failed": {k for p in parts for k in p["failed"]} - audio,
            "failures_file": ", ".join(files), "transcripts": transcripts,
            "wer": None if transcripts is None else corpus_wer(
                (texts[k], transcripts[k]) for k in sorted(transcripts))}
    return out
