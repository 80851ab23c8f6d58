"""TTS quality filter: transcribe synthesized audio and score it against the intended text."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .wer import word_errors
from .whisper import WhisperTranscriber


@dataclass(frozen=True)
class QualityScore:
    """Per-utterance result; ``asdict()`` it into a manifest row."""

    text: str
    transcript: str
    wer: float
    errors: int
    ref_words: int
    passed: bool

    def as_dict(self) -> dict:
        return asdict(self)


class TTSQualityFilter:
    """``score(text, audio, sr)`` -> :class:`QualityScore`; passes when WER <= ``max_wer``."""

    def __init__(self, transcriber: WhisperTranscriber | None = None, max_wer: float = 0.15):
        self.transcriber = transcriber or WhisperTranscriber("tiny.en")
        self.max_wer = max_wer

    def score(self, text: str, audio: np.ndarray, sample_rate: int) -> QualityScore:
        hyp = self.transcriber.transcribe(audio, sample_rate)
        we = word_errors(text, hyp)
        return QualityScore(text=text, transcript=hyp, wer=we.wer, errors=we.errors,
                            ref_words=we.ref_words, passed=we.wer <= self.max_wer)
