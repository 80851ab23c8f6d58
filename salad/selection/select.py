"""Active and uniform selection of texts to synthesize (pure functions, seeded).

Each cluster ``c`` gets the weight ``P_web(c) * M(c)^gamma``: its share of the text pool times
its misalignment to the power gamma (paper: 5); uniform selection is gamma = 0, so clusters are
drawn as often as they occur. Texts are drawn one at a time: a cluster by weight, then a text
uniformly among that cluster's texts not drawn yet, until the budget (a number of texts, or
hours of speech estimated from text length) is met. A cluster whose texts run out leaves the
draw; so do clusters whose synthetic probe speech failed the TTS quality filter (reported with
their error rate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .config import SelectionConfig


def cluster_weights(share: np.ndarray, misalignment: np.ndarray | None,
                    gamma: float) -> np.ndarray:
    """``share * misalignment^gamma`` normalised to sum to 1 (``misalignment`` is unused and
    may be None when gamma is 0)."""
    share = np.asarray(share, dtype=np.float64)
    if gamma == 0:
        weights = share.copy()
    else:
        if misalignment is None:
            raise ValueError("active selection (gamma > 0) needs a misalignment per cluster")
        m = np.asarray(misalignment, dtype=np.float64)
        if m.shape != share.shape:
            raise ValueError(f"{len(m)} misalignment values for {len(share)} clusters")
        if not np.isfinite(m).all() or (m < 0).any():
            raise ValueError("misalignment must be finite and >= 0 for every cluster")
        weights = share * (m / max(m.max(), 1e-300)) ** gamma  # scaled: no overflow at large gamma
    total = weights.sum()
    if total <= 0:
        raise ValueError("every cluster has weight 0: nothing can be selected")
    return weights / total


def estimated_seconds(texts: Sequence[str], chars_per_second: float) -> np.ndarray:
    """Duration of each text spoken at ``chars_per_second``."""
    return np.array([len(t) for t in texts], dtype=np.float64) / chars_per_second


@dataclass
class Selection:
    indices: np.ndarray                # selected texts, in draw order
    weights: np.ndarray                # cluster weights after dropping failed clusters
    counts: np.ndarray                 # selected texts per cluster
    seconds: np.ndarray                # estimated seconds selected per cluster
    dropped: dict[int, float] = field(default_factory=dict)  # cluster -> probe error rate
    exhausted: bool = False            # the clusters ran out of texts before the budget

    def summary(self) -> dict:
        total = float(self.seconds.sum())
        return {
            "texts": len(self.indices), "hours": total / 3600, "exhausted": self.exhausted,
            "dropped": {str(c): r for c, r in sorted(self.dropped.items())},
            "clusters": [{"cluster": c, "weight": float(w), "texts": int(n),
                          "budget_share": float(s / total) if total else 0.0}
                         for c, (w, n, s) in enumerate(zip(self.weights, self.counts,
                                                           self.seconds))],
        }


def select_texts(labels: np.ndarray, seconds: np.ndarray, misalignment: np.ndarray | None,
                 config: SelectionConfig,
                 error_rates: Mapping[int, float] | None = None) -> Selection:
    """Select texts (rows of ``labels``: their cluster; ``seconds``: their estimated duration)
    up to ``config``'s budget. ``error_rates``: the ASR error rate of each probed cluster's
    synthetic speech; above ``config.max_error_rate`` the cluster is dropped."""
    labels = np.asarray(labels, dtype=np.int64)
    seconds = np.asarray(seconds, dtype=np.float64)
    k = len(misalignment) if misalignment is not None else int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=k)
    if len(sizes) > k or len(seconds) != len(labels):
        raise ValueError(f"labels name {len(sizes)} clusters for {k} misalignment values, or "
                         f"{len(seconds)} durations for {len(labels)} texts")
    if not set(error_rates or {}) <= set(range(k)):
        raise ValueError(f"error rates for clusters outside 0..{k - 1}")
    dropped = {int(c): float(r) for c, r in (error_rates or {}).items()
               if config.max_error_rate is not None and r > config.max_error_rate}
    share = sizes / max(len(labels), 1)
    share[list(dropped)] = 0.0
    weights = cluster_weights(share, misalignment, config.effective_gamma)

    rng = np.random.default_rng(config.seed)
    pools = [rng.permutation(np.flatnonzero(labels == c)) for c in range(k)]
    taken = np.zeros(k, dtype=np.int64)
    live = weights.copy()
    chosen: list[int] = []
    spent = 0.0
    limit = config.hours * 3600 if config.hours is not None else None

    def done() -> bool:
        return spent >= limit if limit is not None else len(chosen) >= config.utterances

    while not done() and live.sum() > 0:
        for c in rng.choice(k, size=4096, p=live / live.sum()):
            if taken[c] == len(pools[c]):
                live[c] = 0.0  # out of texts: draw again without it
                break
            i = int(pools[c][taken[c]])
            taken[c] += 1
            chosen.append(i)
            spent += seconds[i]
            if done():
                break
    indices = np.array(chosen, dtype=np.int64)
    return Selection(indices=indices, weights=weights, counts=taken,
                     seconds=np.bincount(labels[indices], weights=seconds[indices], minlength=k),
                     dropped=dropped, exhausted=not done())
