"""Evaluation results of one run (``salad.eval.v1``): loading, validation and lookups.

``salad eval`` writes ``RUN_DIR/eval/results.json``; :func:`load_results` accepts the run
directory, the eval directory or the file itself.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import SaladError

SCHEMA = "salad.eval.v1"
TEACHER_TEXT = "teacher_text"
STUDENT_TEXT = "student_text"
SPEECH = "student_speech@"
CASCADE = "cascade@"

_TOP_FIELDS = ("schema", "label", "metric", "voices", "benchmarks")
_MODE_FIELDS = ("acc", "acc_norm", "n")
_GAP_FIELDS = ("value", "ci95")
_TRAINING_FIELDS = ("misalignment", "forgetting", "tokens", "history")


def _num(value) -> float:
    """A number from the file; null (or anything non-numeric) becomes NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


@dataclass
class RunResults:
    """One run's evaluation, validated; missing numbers read as NaN."""

    path: Path
    label: str
    metric: str
    voices: list[str]
    benchmarks: list[dict]
    training: dict | None = None
    run_dir: str | None = None
    checkpoint: str | None = None
    shots: int | None = None
    seed: int | None = None
    seconds: float | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def main_voice(self) -> str | None:
        return self.voices[0] if self.voices else None

    @property
    def second_voice(self) -> str | None:
        return self.voices[1] if len(self.voices) > 1 else None

    @property
    def cascade(self) -> str | None:
        """The cascade mode of the main voice, else the first cascade scored (None without)."""
        mode = cascade_mode(self.main_voice)
        if mode in self.modes():
            return mode
        return next((m for m in self.modes() if m.startswith(CASCADE)), None)

    def benchmark_names(self) -> list[str]:
        return [b["benchmark"] for b in self.benchmarks]

    def modes(self) -> list[str]:
        """Every mode scored on any benchmark, in reading order."""
        present = {m for b in self.benchmarks for m in b["modes"]}
        return order_modes(present, self.voices)

    def gap_modes(self) -> list[str]:
        present = {m for b in self.benchmarks for m in b.get("gaps", {})}
        return order_modes(present, self.voices)

    def _bench(self, benchmark: str) -> dict | None:
        return next((b for b in self.benchmarks if b["benchmark"] == benchmark), None)

    def score(self, benchmark: str, mode: str | None, key: str | None = None) -> float:
        """``key`` (default: the headline metric) of a mode on a benchmark, or NaN."""
        bench = self._bench(benchmark)
        if bench is None or mode is None or mode not in bench["modes"]:
            return math.nan
        return _num(bench["modes"][mode].get(key or self.metric))

    def gap(self, benchmark: str, mode: str | None) -> tuple[float, float, float]:
        """(value, ci_low, ci_high) of teacher_text minus ``mode``; NaNs when absent."""
        bench = self._bench(benchmark)
        entry = (bench or {}).get("gaps", {}).get(mode) if mode else None
        if not entry:
            return (math.nan, math.nan, math.nan)
        ci = entry.get("ci95") or [None, None]
        return (_num(entry.get("value")), _num(ci[0]), _num(ci[1]))

    def pooled_gap(self, mode: str | None) -> tuple[float, float, float, int]:
        """(value, ci_low, ci_high, items) of teacher_text minus ``mode`` over the items of all
        benchmarks together; NaNs and 0 when the results hold none (written before it was)."""
        entry = (self.raw.get("pooled_gaps") or {}).get(mode) if mode else None
        if not isinstance(entry, dict):
            return (math.nan, math.nan, math.nan, 0)
        ci = entry.get("ci95") or [None, None]
        n = entry.get("n")
        return (_num(entry.get("value")), _num(ci[0]), _num(ci[1]),
                n if isinstance(n, int) else 0)

    def chance(self, benchmark: str) -> float:
        """The accuracy of guessing on ``benchmark`` (mean of 1 / options), or NaN."""
        return _num((self._bench(benchmark) or {}).get("chance"))

    def mean_score(self, mode: str | None, benchmarks=None, key: str | None = None) -> float:
        """Plain mean over ``benchmarks`` (default: all) of the finite scores of ``mode``."""
        names = self.benchmark_names() if benchmarks is None else benchmarks
        return nanmean([self.score(b, mode, key) for b in names])

    def training_end(self, key: str) -> float:
        return _num((self.training or {}).get(key))

    def history(self) -> list[dict]:
        return list((self.training or {}).get("history") or [])


def nanmean(values) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan


def speech_mode(voice: str | None) -> str | None:
    return f"{SPEECH}{voice}" if voice else None


def cascade_mode(voice: str | None) -> str | None:
    return f"{CASCADE}{voice}" if voice else None


def order_modes(modes, voices: list[str]) -> list[str]:
    """teacher text, student text, speech per voice, cascade per voice, then anything else."""
    modes = set(modes)
    ordered = [m for m in (TEACHER_TEXT, STUDENT_TEXT) if m in modes]
    for prefix in (SPEECH, CASCADE):
        ordered += [f"{prefix}{v}" for v in voices if f"{prefix}{v}" in modes]
        ordered += sorted(m for m in modes if m.startswith(prefix) and m not in ordered)
    return ordered + sorted(modes - set(ordered))


def _results_file(source: Path) -> Path:
    """``RUN/eval/results.json`` (the final checkpoint's), else the only ``RUN/eval-*/`` one."""
    if source.is_dir():
        for candidate in (source / "eval" / "results.json", source / "results.json"):
            if candidate.is_file():
                return candidate
        others = sorted(source.glob("eval-*/results.json"))
        if len(others) == 1:
            return others[0]
        if others:
            raise SaladError(f"{source}: several evaluations and none of the final checkpoint; "
                             "pass one of: " + ", ".join(str(p.parent) for p in others))
        raise SaladError(f"{source}: no eval results found (looked for "
                         f"{source / 'eval' / 'results.json'} and {source / 'results.json'}; "
                         f"run `salad eval {source}` first)")
    if not source.is_file():
        raise SaladError(f"{source}: no such run directory or results file")
    return source


def _require(obj, fields, path: Path, where: str) -> None:
    if not isinstance(obj, dict):
        raise SaladError(f"{path}: {where or 'top level'} must be an object, "
                         f"got {type(obj).__name__}")
    for name in fields:
        if name not in obj:
            raise SaladError(f"{path}: {where + ': ' if where else ''}missing field {name!r}")


def _validate(data, path: Path) -> None:
    _require(data, ("schema",), path, "")
    if data["schema"] != SCHEMA:
        raise SaladError(f"{path}: schema is {data['schema']!r}, expected {SCHEMA!r}")
    _require(data, _TOP_FIELDS, path, "")
    if not isinstance(data["benchmarks"], list):
        raise SaladError(f"{path}: 'benchmarks' must be a list")
    if not isinstance(data["voices"], list):
        raise SaladError(f"{path}: 'voices' must be a list")
    for i, bench in enumerate(data["benchmarks"]):
        _require(bench, ("benchmark", "modes"), path, f"benchmarks[{i}]")
        name = bench["benchmark"]
        _require(bench["modes"], (), path, f"benchmarks[{i}] ({name}).modes")
        for mode, entry in bench["modes"].items():
            _require(entry, _MODE_FIELDS, path, f"benchmarks[{i}] ({name}).modes[{mode!r}]")
        _require(bench.get("gaps", {}), (), path, f"benchmarks[{i}] ({name}).gaps")
        for mode, entry in bench.get("gaps", {}).items():
            _require(entry, _GAP_FIELDS, path, f"benchmarks[{i}] ({name}).gaps[{mode!r}]")
    training = data.get("training")
    if training is not None:
        _require(training, _TRAINING_FIELDS, path, "training")
        for j, point in enumerate(training["history"] or []):
            _require(point, ("tokens", "misalignment"), path, f"training.history[{j}]")


def load_results(source) -> RunResults:
    """Load and validate ``results.json`` from a run dir, an eval dir or the file's path."""
    path = _results_file(Path(source))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SaladError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except OSError as exc:
        raise SaladError(f"{path}: cannot read ({exc.strerror})") from exc
    return results_from_dict(data, path)


def results_from_dict(data: dict, path="<results>") -> RunResults:
    """Validate results already in memory (``path`` only names them in errors)."""
    path = Path(path)
    _validate(data, path)
    return RunResults(
        path=path, label=str(data["label"]), metric=str(data["metric"]),
        voices=[str(v) for v in data["voices"]], benchmarks=data["benchmarks"],
        training=data.get("training"), run_dir=data.get("run_dir"),
        checkpoint=data.get("checkpoint"), shots=data.get("shots"), seed=data.get("seed"),
        seconds=data.get("seconds"), raw=data)


def unique_labels(runs: list[RunResults]) -> None:
    """Make run labels distinct in place (``name``, ``name#2``, ...) for side-by-side tables."""
    seen: dict[str, int] = {}
    for run in runs:
        count = seen.get(run.label, 0) + 1
        seen[run.label] = count
        if count > 1:
            run.label = f"{run.label}#{count}"
