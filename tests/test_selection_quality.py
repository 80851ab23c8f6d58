"""Per-cluster error rates of synthetic speech (CER and WER) and their use by selection."""

from __future__ import annotations

import numpy as np
import pytest

from salad.asr.wer import character_errors
from salad.selection.config import SelectionConfig
from salad.selection.quality import cluster_error_rates
from salad.selection.select import select_texts

pytest.importorskip("whisper_normalizer")


def test_character_errors_follow_normalisation():
    assert character_errors("Twenty-one cats!", "21 cats") == (0, 7)  # "21 cats"
    assert character_errors("the cat", "the bat") == (1, 7)
    assert character_errors("", "") == (0, 0)


def test_cluster_rates_pool_errors_over_reference_length():
    clusters = [0, 0, 1, 2]
    refs = ["the cat", "a dog", "stocks fell sharply", "..."]
    hyps = ["the bat", "a dog", "stocks felt", "hello"]
    chars = cluster_error_rates(clusters, refs, hyps)
    assert chars[0] == pytest.approx(1 / 12)  # "the cat" + "a dog": 7 + 5 characters
    assert chars[1] == pytest.approx(9 / 19)  # "fell" -> "felt" (1), " sharply" deleted (8)
    assert chars[2] == 1.0  # nothing to say, something heard
    words = cluster_error_rates(clusters, refs, hyps, unit="word")
    assert words[0] == pytest.approx(1 / 4) and words[1] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one of each per utterance"):
        cluster_error_rates([0], refs, hyps)


def test_selection_drops_the_clusters_whose_speech_fails():
    labels = np.repeat([0, 1, 2], 50)
    rates = cluster_error_rates([0, 1, 2], ["the cat", "stocks fell sharply", "a dog"],
                                ["the cat", "stocks felt", "a dog"])
    config = SelectionConfig(utterances=60, max_error_rate=0.1)
    selection = select_texts(labels, np.ones(150), np.ones(3), config, error_rates=rates)
    assert selection.dropped == {1: rates[1]} and selection.counts.tolist()[1] == 0
