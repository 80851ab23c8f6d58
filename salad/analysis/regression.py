"""How well misalignment and forgetting explain accuracy across runs.

R^2 and leave-one-out R^2 of speech accuracy on log-misalignment and of text accuracy on
forgetting, and the partial R^2 of each predictor when both are in the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.errors import SaladError


def _design(columns: Sequence[Sequence[float]]) -> np.ndarray:
    n = len(columns[0])
    return np.column_stack([np.ones(n), *[np.asarray(c, dtype=float) for c in columns]])


def _sse(x: np.ndarray, y: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(np.sum((y - x @ coef) ** 2))


def r2(y: Sequence[float], *predictors: Sequence[float]) -> float:
    y = np.asarray(y, dtype=float)
    sst = float(np.sum((y - y.mean()) ** 2))
    if sst == 0:
        return float("nan")
    return 1.0 - _sse(_design(predictors), y) / sst


def loo_r2(y: Sequence[float], *predictors: Sequence[float]) -> float:
    """Leave-one-out R^2 (1 - PRESS / SST): each run predicted by a fit without it."""
    y = np.asarray(y, dtype=float)
    x = _design(predictors)
    n = len(y)
    if n <= x.shape[1]:
        raise SaladError(f"leave-one-out R^2 needs more than {x.shape[1]} runs, got {n}")
    press = 0.0
    for i in range(n):
        keep = np.arange(n) != i
        coef, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
        press += float((y[i] - x[i] @ coef) ** 2)
    sst = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - press / sst if sst else float("nan")


def partial_r2(y: Sequence[float], predictor: Sequence[float],
               *controls: Sequence[float]) -> float:
    """Share of the variance left by ``controls`` that ``predictor`` explains."""
    y = np.asarray(y, dtype=float)
    reduced = _sse(_design(controls) if controls else np.ones((len(y), 1)), y)
    full = _sse(_design([*controls, predictor]), y)
    # nothing to explain (constant response) or nothing left once the controls are in
    # (round-off only): the share is undefined, not a number made of noise
    sst = float(np.sum((y - y.mean()) ** 2))
    if sst <= 1e-12 * float(np.sum(y**2)) or reduced <= 1e-12 * sst:
        return float("nan")
    return 1.0 - full / reduced


def accuracy_analysis(speech_acc, text_acc, misalignment, forgetting) -> dict[str, float]:
    """The paper's two regressions across runs (one value per run in each argument)."""
    log_m = np.log(np.asarray(misalignment, dtype=float))
    f = np.asarray(forgetting, dtype=float)
    out = {
        "speech_acc~log_M: R2": r2(speech_acc, log_m),
        "text_acc~F: R2": r2(text_acc, f),
        "speech_acc: partial R2 of log_M given F": partial_r2(speech_acc, log_m, f),
        "speech_acc: partial R2 of F given log_M": partial_r2(speech_acc, f, log_m),
        "text_acc: partial R2 of F given log_M": partial_r2(text_acc, f, log_m),
        "text_acc: partial R2 of log_M given F": partial_r2(text_acc, log_m, f),
    }
    if len(log_m) > 2:
        out["speech_acc~log_M: LOO R2"] = loo_r2(speech_acc, log_m)
        out["text_acc~F: LOO R2"] = loo_r2(text_acc, f)
    return out
