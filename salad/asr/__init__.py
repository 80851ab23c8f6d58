"""Speech recognition (faster-whisper on packaged Whisper models), WER and the TTS quality filter.

``wer``/``word_errors``/``character_errors``/``normalize_words`` need only ``whisper-normalizer``
and ``kaldialign``
(imported on first use); ``WhisperTranscriber`` and ``TTSQualityFilter`` import faster-whisper
only when built.
"""

from .wer import (
    WordErrors,
    character_errors,
    corpus_wer,
    edit_distance,
    normalize_words,
    wer,
    word_errors,
)

__all__ = [
    "QualityScore",
    "TTSQualityFilter",
    "WhisperConfig",
    "WhisperTranscriber",
    "WordErrors",
    "character_errors",
    "corpus_wer",
    "edit_distance",
    "normalize_words",
    "wer",
    "whisper_model_dir",
    "word_errors",
]


def __getattr__(name: str):
    if name in ("WhisperTranscriber", "WhisperConfig"):
        from . import whisper

        return getattr(whisper, name)
    if name in ("TTSQualityFilter", "QualityScore"):
        from . import quality

        return getattr(quality, name)
    if name == "whisper_model_dir":
        from .models import whisper_model_dir

        return whisper_model_dir
    raise AttributeError(name)
