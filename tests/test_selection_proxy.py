"""The text-only misalignment proxy per cluster, on the tiny test LMs."""

from __future__ import annotations

import numpy as np
import pytest

from salad.analysis.bootstrap import cluster_intervals, mean_interval
from salad.core.plugin_host import get_host
from salad.selection.proxy import proxy_misalignment, sample_per_cluster, text_divergence

pytest.importorskip("transformers")

TEXTS = ["The cat sat on the mat.", "A dog barked at the moon.", "She sells sea shells.",
         "How are you today?", "Numbers like 12 and 345.", "The quick brown fox jumps."]


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    """The tiny teacher, and a student: the same tiny Llama with other random weights."""
    from salad.testing.tiny_llama import write_tiny_llama

    registry = get_host().registry("teacher_lm")
    teacher = registry.build("salad.hf_lm.v1", {"model": str(
        write_tiny_llama(tmp_path_factory.mktemp("teacher")))})
    student = get_host().registry("student_lm").build("salad.hf_lm.v1", {"model": str(
        write_tiny_llama(tmp_path_factory.mktemp("student"), seed=1))})
    return teacher, student


@pytest.fixture(scope="module")
def kl():
    return get_host().registry("misalignment_scorer").build("salad.kl_misalignment.v1")


def test_divergence_is_zero_against_itself_and_positive_otherwise(lms, kl):
    teacher, student = lms
    same = text_divergence(teacher, teacher, TEXTS, kl, batch_size=4)
    other = text_divergence(teacher, student, TEXTS, kl, batch_size=4)
    assert same.shape == other.shape == (len(TEXTS),)
    assert np.abs(same).max() < 1e-5 and (other > 0.01).all()
    one_by_one = text_divergence(teacher, student, TEXTS, kl, batch_size=1)
    np.testing.assert_allclose(other, one_by_one, rtol=1e-4)  # padding changes nothing
    capped = text_divergence(teacher, student, TEXTS, kl, max_tokens=2)
    assert not np.allclose(capped, other)


def test_per_cluster_means_with_bootstrap_intervals(lms, kl):
    teacher, student = lms
    labels = np.array([0, 0, 0, 1, 1, 2])
    rows = proxy_misalignment(teacher, student, kl, TEXTS, labels, 4, per_cluster=2,
                              resamples=200)
    assert [r["n"] for r in rows] == [2, 2, 1, 0]
    values = text_divergence(teacher, student, TEXTS, kl)
    picked = sample_per_cluster(labels, 2)
    assert rows[0]["mean"] == pytest.approx(values[picked[:2]].mean(), rel=1e-4)
    for r in rows[:3]:
        assert r["ci95"][0] <= r["mean"] <= r["ci95"][1]
    assert rows[2]["ci95"][0] == rows[2]["ci95"][1] == rows[2]["mean"]
    assert np.isnan(rows[3]["mean"])


def test_sampling_per_cluster_is_seeded_and_capped():
    labels = np.repeat([0, 1, 2], [50, 3, 10])
    a, b = sample_per_cluster(labels, 5, seed=1), sample_per_cluster(labels, 5, seed=1)
    np.testing.assert_array_equal(a, b)
    assert np.bincount(labels[a]).tolist() == [5, 3, 5]
    assert sample_per_cluster(labels, 5, seed=2).tolist() != a.tolist()


def test_cluster_intervals_skip_missing_values():
    rows = cluster_intervals(np.array([1.0, np.nan, 3.0]), np.array([0, 0, 0]), 1)
    assert rows[0]["n"] == 2 and rows[0]["mean"] == 2.0
    mean, lo, hi = mean_interval([1.0, 3.0], resamples=500)
    assert (mean, lo, hi) == (2.0, 1.0, 3.0)


def test_a_pair_with_different_tokenizers_is_refused(lms, kl):
    teacher, student = lms

    class Other:
        tokenizer_id = "something else"

    with pytest.raises(ValueError, match="tokenize differently"):
        text_divergence(teacher, Other(), TEXTS, kl)
