"""The k-means backends and their shared helpers: balanced clusters, determinism, agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest

from salad.core.errors import SaladError
from salad.core.plugin_host import get_host
from salad.selection.kmeans import balance, balanced_assign, nearest, squared_distances

BACKENDS = ["salad.sklearn_kmeans.v1", "salad.faiss_kmeans.v1"]


def _skewed(seed: int = 0) -> np.ndarray:
    """Three blobs of 150, 40 and 10 rows in 8 dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 8)) * 5
    return np.concatenate([c + rng.normal(size=(n, 8)) for c, n in zip(centres, (150, 40, 10))])


def _build(name: str, **config):
    if "faiss" in name:
        pytest.importorskip("faiss")
    return get_host().registry("clustering").build(name, config)


def test_balanced_assignment_respects_capacity_and_prefers_near_centroids():
    x = _skewed()
    centroids = x[[0, 160, 195]]
    labels = balanced_assign(x, centroids)
    assert np.bincount(labels, minlength=3).max() <= math.ceil(len(x) / 3)
    assert (balanced_assign(x, centroids, capacity=len(x)) == nearest(x, centroids)).all()
    placed = squared_distances(x, centroids)[np.arange(len(x)), labels]
    # a row moved away from its nearest centroid is farther from it than that cluster's members
    moved = labels != nearest(x, centroids)
    assert moved.any() and placed[moved].mean() > placed[~moved].mean()
    with pytest.raises(ValueError, match="cannot hold"):
        balanced_assign(x, centroids, capacity=10)


def test_balance_alternates_assignment_and_centroid_updates():
    x = _skewed()
    labels, centroids = balance(x, x[[0, 160, 195]], iterations=4)
    sizes = np.bincount(labels, minlength=3)
    assert sizes.max() <= 67 and sizes.sum() == len(x)
    for c in range(3):
        np.testing.assert_allclose(centroids[c], x[labels == c].mean(0), atol=1e-4)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("balanced", [False, True])
def test_backends_are_seeded_and_deterministic(name, balanced):
    x = _skewed()
    runs = [_build(name, n_clusters=4, seed=s, balanced=balanced).fit(x) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)
    np.testing.assert_allclose(runs[0].centroids, runs[1].centroids)
    assert runs[0].inertia == pytest.approx(runs[1].inertia)
    sizes = np.bincount(runs[0].labels, minlength=4)
    if balanced:
        assert (sizes == len(x) // 4).all()
    else:
        assert sizes.min() <= 10  # plain k-means keeps the 10-row blob apart


@pytest.mark.parametrize("name", BACKENDS)
def test_backends_refuse_bad_input(name):
    backend = _build(name, n_clusters=4)
    with pytest.raises(SaladError, match="predict before fit"):
        backend.predict(_skewed())
    with pytest.raises(SaladError, match="at least that many rows"):
        backend.fit(_skewed()[:3])
    bad = _skewed()
    bad[5, 2] = np.nan
    with pytest.raises(SaladError, match="non-finite"):
        backend.fit(bad)


def test_faiss_and_sklearn_agree_on_separated_blobs():
    x = _skewed()
    faiss_labels = _build(BACKENDS[1], n_clusters=3, n_init=3).fit(x).labels
    sklearn_labels = _build(BACKENDS[0], n_clusters=3, n_init=3).fit(x).labels
    pairs = set(zip(faiss_labels.tolist(), sklearn_labels.tolist()))
    assert len(pairs) == 3  # the same partition up to the names of the clusters


def test_faiss_gpu_without_gpus_is_an_error():
    faiss = pytest.importorskip("faiss")
    if faiss.get_num_gpus() > 0:
        pytest.skip("this machine has a GPU")
    with pytest.raises(SaladError, match="reports no GPU"):
        _build(BACKENDS[1], device="gpu")
    assert _build(BACKENDS[1], device="auto").use_gpu is False
