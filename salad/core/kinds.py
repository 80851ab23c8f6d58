"""The component kinds SALAD knows, each with its registration hook and protocol.

A kind is a role in the pipeline. Each kind has exactly one pluggy hook (``salad_<plural>``)
through which plugins hand over :class:`~salad.core.records.ComponentRecord` objects, and
exactly one ``typing.Protocol`` (in :mod:`salad.core.protocols`) that built components satisfy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindInfo:
    key: str
    hook: str
    protocol: str
    title: str
    description: str


_KINDS = [
    KindInfo("speech_encoder", "salad_speech_encoders", "SpeechEncoder", "speech encoder",
             "Frozen model turning 16 kHz waveforms into frame features."),
    KindInfo("adapter", "salad_adapters", "Adapter", "adapter",
             "Trainable map from encoder frames to LM input embeddings (with downsampling)."),
    KindInfo("teacher_lm", "salad_teacher_lms", "LanguageModel", "teacher LM",
             "Frozen text LLM whose next-token distributions are distilled."),
    KindInfo("student_lm", "salad_student_lms", "LanguageModel", "student LM",
             "The LLM that learns to read speech spans; trained fully, with LoRA or frozen."),
    KindInfo("loss", "salad_losses", "Loss", "loss",
             "Training objective over text positions (distillation, NLL, mixes)."),
    KindInfo("clustering", "salad_clustering_backends", "ClusteringBackend", "clustering backend",
             "Partitions text embeddings into domains for active selection."),
    KindInfo("misalignment_scorer", "salad_misalignment_scorers", "MisalignmentScorer",
             "misalignment scorer", "Scores the divergence between two next-token distributions."),
    KindInfo("tts_engine", "salad_tts_engines", "TTSEngine", "TTS engine",
             "Speaks text with a named voice, returning audio and its sample rate."),
    KindInfo("corpus", "salad_corpora", "CorpusSource", "corpus source",
             "Yields text records (id, text, domain labels) for training and selection."),
    KindInfo("benchmark", "salad_benchmarks", "BenchmarkSource", "benchmark",
             "Yields multiple-choice evaluation items."),
    KindInfo("text_embedder", "salad_text_embedders", "TextEmbedder", "text embedder",
             "Embeds sentences into fixed-size vectors for clustering."),
]

KINDS: dict[str, KindInfo] = {k.key: k for k in _KINDS}
KIND_BY_HOOK: dict[str, KindInfo] = {k.hook: k for k in _KINDS}


def kind_info(key: str) -> KindInfo:
    try:
        return KINDS[key]
    except KeyError:
        from .errors import SaladError
        from .suggest import did_you_mean

        raise SaladError(
            f"unknown component kind {key!r}{did_you_mean(key, KINDS)}; "
            f"kinds: {', '.join(KINDS)}"
        ) from None
