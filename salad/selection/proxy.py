"""A cheap misalignment proxy for clusters: how far the student's next-token distribution is
from the teacher's when both read the same text alone (no speech, no TTS).

After Stage I this is forgetting per domain: where distillation on narrow speech moved the
student's reading of text. It is a stand-in for the paper's probe (which compares the student
on text and on synthetic speech of the same content) that costs two LM forward passes per
text. Any :class:`~salad.core.protocols.MisalignmentScorer` (``salad.kl_misalignment.v1``:
``KL(teacher || student)``) compares the two distributions, so scorers can be compared on the
same clusters. Per cluster: the mean over its probe texts with a bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..analysis.bootstrap import cluster_intervals
from ..evaluation.loglik import prefix_ids_of

if TYPE_CHECKING:
    import torch

    from ..core.protocols import LanguageModel, MisalignmentScorer


def sample_per_cluster(labels: np.ndarray, per_cluster: int, seed: int = 0) -> np.ndarray:
    """Indices of at most ``per_cluster`` texts of each cluster, drawn uniformly (seeded),
    sorted."""
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(labels == c))[:per_cluster]
             for c in range(int(labels.max()) + 1 if len(labels) else 0)]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def _next_token_logits(lm: LanguageModel, rows: list[list[int]]) -> torch.Tensor:
    """Logits at every position that predicts a token of its row, row by row: ``(N, V)``."""
    import torch

    width = max(map(len, rows))
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for r, seq in enumerate(rows):
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
    states = lm.hidden_states(lm.embed(ids), mask)
    return lm.logits(states[:, :-1][mask[:, 1:].bool().to(states.device)]).float()


def text_divergence(teacher: LanguageModel, student: LanguageModel, texts: Sequence[str],
                    scorer: MisalignmentScorer, *, batch_size: int = 16,
                    max_tokens: int = 128) -> np.ndarray:
    """Mean per-token divergence of the student from the teacher (nats) for each text, both
    reading the text alone after the teacher's scoring prefix; NaN for a text with no scored
    token."""
    import torch

    if teacher.tokenizer_id != student.tokenizer_id:
        raise ValueError("teacher and student tokenize differently: their next-token "
                         "distributions cannot be compared position by position")
    prefix = prefix_ids_of(teacher)
    rows = [prefix + ids[:max_tokens] for ids in teacher.tokenize(list(texts))]
    out = np.full(len(rows), np.nan)
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        with torch.inference_mode():
            reference = _next_token_logits(teacher, batch)
            other = _next_token_logits(student, batch).to(reference.device)
            scores = scorer.score(reference, other).double().cpu()
        parts = torch.split(scores, [max(len(seq) - 1, 0) for seq in batch])
        for r, part in enumerate(parts):
            if len(part):
                out[start + r] = float(part.mean())
    return out


def proxy_misalignment(teacher: LanguageModel, student: LanguageModel,
                       scorer: MisalignmentScorer, texts: Sequence[str], labels: np.ndarray,
                       n_clusters: int, *, per_cluster: int = 32, seed: int = 0,
                       batch_size: int = 16, max_tokens: int = 128,
                       resamples: int = 2000) -> list[dict]:
    """Per cluster (``labels``: the cluster of each text): the text-only divergence of the
    student from the teacher on at most ``per_cluster`` of its texts, drawn with ``seed``,
    as ``{"cluster", "mean", "ci95", "n"}``."""
    labels = np.asarray(labels, dtype=np.int64)
    probe = sample_per_cluster(labels, per_cluster, seed)
    values = text_divergence(teacher, student, [texts[i] for i in probe], scorer,
                             batch_size=batch_size, max_tokens=max_tokens)
    return cluster_intervals(values, labels[probe], n_clusters, resamples=resamples, seed=seed)
