"""Error rates of each cluster's synthetic speech, for the TTS quality filter of selection.

The probe speech of a cluster is transcribed by ASR (``salad.asr``) and compared with its texts;
a cluster's rate is its probe utterances' total errors over their total reference length, in
characters (CER, the default) or words (WER), after Whisper's English normalisation.
:func:`~salad.selection.select.select_texts` drops clusters whose rate exceeds
``max_error_rate`` and reports them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from ..asr.wer import character_errors, word_errors


def cluster_error_rates(clusters: Sequence[int], references: Sequence[str],
                        transcripts: Sequence[str],
                        unit: Literal["char", "word"] = "char") -> dict[int, float]:
    """``{cluster: error rate}`` over the utterances of each cluster (``clusters[i]``: the
    cluster of the utterance whose text is ``references[i]`` and ASR output ``transcripts[i]``).
    A cluster whose references normalise to nothing has rate 0.0, or 1.0 if ASR heard words."""
    if not len(clusters) == len(references) == len(transcripts):
        raise ValueError(f"{len(clusters)} clusters, {len(references)} references and "
                         f"{len(transcripts)} transcripts: one of each per utterance")
    errors: dict[int, int] = defaultdict(int)
    length: dict[int, int] = defaultdict(int)
    for cluster, ref, hyp in zip(clusters, references, transcripts):
        if unit == "char":
            e, n = character_errors(ref, hyp)
        else:
            counted = word_errors(ref, hyp)
            e, n = counted.errors, counted.ref_words
        errors[int(cluster)] += e
        length[int(cluster)] += n
    return {c: errors[c] / length[c] if length[c] else float(errors[c] > 0)
            for c in sorted(errors)}
