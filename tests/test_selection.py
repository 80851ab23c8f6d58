"""Active and uniform selection: weights, budgets, seeds, the quality filter, the cluster table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from salad.core.items import TextRecord
from salad.selection.clusters import (
    add_columns,
    cluster_table,
    format_cluster_table,
    write_cluster_table,
)
from salad.selection.config import SelectionConfig
from salad.selection.select import cluster_weights, estimated_seconds, select_texts

SHARES = np.array([0.5, 0.3, 0.15, 0.05])
M = np.array([0.2, 0.4, 0.8, 1.0])


def _pool(n: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels in the proportions SHARES (shuffled) and a duration of 1 to 4 s each."""
    labels = np.repeat(np.arange(4), (SHARES * n).astype(int))
    rng = np.random.default_rng(0)
    return rng.permutation(labels), rng.uniform(1, 4, size=len(labels))


def _config(**kw) -> SelectionConfig:
    return SelectionConfig(**{"utterances": 2000, **kw})


def test_weights_are_share_times_misalignment_to_the_gamma():
    np.testing.assert_allclose(cluster_weights(SHARES, None, 0), SHARES)
    expected = SHARES * M**5
    np.testing.assert_allclose(cluster_weights(SHARES, M, 5), expected / expected.sum())
    assert np.isfinite(cluster_weights(SHARES, M * 1e-30, 400)).all()
    with pytest.raises(ValueError, match="needs a misalignment"):
        cluster_weights(SHARES, None, 5)
    with pytest.raises(ValueError, match="finite and >= 0"):
        cluster_weights(SHARES, np.array([0.1, np.nan, 0.2, 0.3]), 5)


def test_uniform_reproduces_cluster_frequencies():
    labels, seconds = _pool()
    for mode, gamma in (("uniform", 5.0), ("active", 0.0)):
        sel = select_texts(labels, seconds, M, _config(mode=mode, gamma=gamma))
        np.testing.assert_allclose(sel.counts / sel.counts.sum(), SHARES, atol=0.03)


def test_a_large_gamma_spends_the_budget_on_the_most_misaligned_clusters():
    labels, seconds = _pool()
    active = select_texts(labels, seconds, M, _config(gamma=5))
    assert active.counts[3] > active.counts[0]  # 0.05 * 1 > 0.5 * 0.2^5
    sharp = select_texts(labels, seconds, M, _config(gamma=100, utterances=900))
    assert sharp.counts[3] == 900  # cluster 3 holds 1,000 texts: enough for the whole budget
    flooded = select_texts(labels, seconds, M, _config(gamma=100, utterances=1500))
    assert flooded.counts[3] == 1000 and flooded.counts[2] == 500  # then the next one


def test_active_and_uniform_spend_the_same_hours():
    labels, seconds = _pool()
    runs = [select_texts(labels, seconds, M, SelectionConfig(mode=mode, hours=1.5, seed=3))
            for mode in ("active", "uniform")]
    for sel in runs:
        assert 5400 <= sel.seconds.sum() < 5400 + 4
        assert sel.summary()["hours"] == pytest.approx(1.5, abs=4 / 3600)
        assert len(set(sel.indices.tolist())) == len(sel.indices)  # no text twice
        np.testing.assert_array_equal(np.bincount(labels[sel.indices], minlength=4), sel.counts)
    assert runs[0].counts.tolist() != runs[1].counts.tolist()


def test_selection_is_seeded():
    labels, seconds = _pool()
    a, b, c = (select_texts(labels, seconds, M, _config(seed=s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.indices.tolist() != c.indices.tolist()


def test_texts_are_drawn_uniformly_inside_a_cluster():
    labels = np.zeros(10, dtype=np.int64)
    hits = np.zeros(10)
    for seed in range(2000):
        hits[select_texts(labels, np.ones(10), None, _config(mode="uniform", utterances=1,
                                                              seed=seed)).indices] += 1
    assert hits.min() > 150 and hits.max() < 250  # 200 expected each


def test_clusters_failing_the_quality_filter_are_dropped_and_reported():
    labels, seconds = _pool()
    config = _config(max_error_rate=0.2)
    sel = select_texts(labels, seconds, M, config, error_rates={0: 0.05, 3: 0.6})
    assert sel.dropped == {3: 0.6} and sel.counts[3] == 0 and sel.weights[3] == 0
    assert sel.summary()["dropped"] == {"3": 0.6}
    kept = select_texts(labels, seconds, M, _config(), error_rates={3: 0.6})
    assert kept.dropped == {} and kept.counts[3] > 0  # no threshold: nothing dropped
    with pytest.raises(ValueError, match="outside"):
        select_texts(labels, seconds, M, config, error_rates={7: 0.9})


def test_a_budget_beyond_the_pool_takes_everything_and_says_so():
    labels = np.array([0, 0, 1])
    sel = select_texts(labels, np.ones(3), np.array([1.0, 2.0]), _config(utterances=10))
    assert sorted(sel.indices.tolist()) == [0, 1, 2] and sel.exhausted


def test_the_config_needs_exactly_one_budget():
    with pytest.raises(ValidationError, match="exactly one budget"):
        SelectionConfig()
    with pytest.raises(ValidationError, match="exactly one budget"):
        SelectionConfig(utterances=3, hours=1.0)
    with pytest.raises(ValidationError):
        SelectionConfig(utterances=3, strategy="x")


def test_estimated_seconds_follow_text_length():
    np.testing.assert_allclose(estimated_seconds(["abc", "abcdef"], 3.0), [1.0, 2.0])


def test_cluster_table(tmp_path):
    records = [TextRecord("a", "apples and pears", "wordnet", ("noun.food",)),
               TextRecord("b", "pears", "wordnet", ("noun.food", "noun.plant")),
               TextRecord("c", "a | joke", "fortunes"),
               TextRecord("d", "another joke", "fortunes", ("humorists",))]
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.2, 0.8]], dtype=np.float32)
    centroids = np.array([[0.9, 0.1], [0, 1], [5, 5]], dtype=np.float32)
    rows = cluster_table(records, vectors, np.array([0, 0, 1, 1]), centroids, n_nearest=1)
    assert [r["size"] for r in rows] == [2, 2, 0] and rows[0]["share"] == 0.5
    assert rows[0]["nearest"] == [{"id": "b", "text": "pears"}]
    assert rows[0]["labels"][0] == ["wordnet/noun.food", 1.0]
    assert dict(map(tuple, rows[1]["labels"])) == {"fortunes": 0.5, "fortunes/humorists": 0.5}
    rows = add_columns(rows, misalignment={0: 0.25, 1: 1.5}, ci95={0: [0.2, 0.3]})
    assert rows[2]["misalignment"] is None and rows[0]["ci95"] == [0.2, 0.3]
    write_cluster_table(tmp_path / "clusters.json", rows)
    saved = json.loads((tmp_path / "clusters.json").read_text())
    assert saved["n_texts"] == 4 and saved["clusters"] == rows
    table = format_cluster_table(rows, columns=["misalignment", "ci95"])
    assert "| 0 | 2 | 0.5 | 0.25 | [0.2, 0.3] | wordnet/noun.food 100%" in table
    assert "a \\| joke" in table and len(table.splitlines()) == 5
    with pytest.raises(ValueError, match="one of each per text"):
        cluster_table(records[:3], vectors, np.array([0, 0, 1, 1]), centroids)
