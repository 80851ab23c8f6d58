"""Speech recognition with faster-whisper on the packaged Whisper models.

Reusable wherever a transcript is needed: the TTS quality filter, the cascade (ASR -> text LLM)
baseline in evaluation, data checks. Example::

    from salad.asr import WhisperTranscriber
    asr = WhisperTranscriber("tiny.en")            # or "base", or a CTranslate2 model dir
    text = asr.transcribe(audio, sample_rate=22050) # any rate; resampled to 16 kHz
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core.errors import SaladError
from ..data.audio import TARGET_SAMPLE_RATE, read_audio, resample
from .models import whisper_model_dir


class WhisperConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field("tiny.en", description="'tiny.en', 'base' or a CTranslate2 model dir")
    device: str = Field("cpu", description="'cpu', 'cuda' or 'auto'")
    compute_type: str = Field("int8", description="CTranslate2 compute type (int8, float16...)")
    beam_size: int = Field(1, ge=1, description="1 = greedy decoding")
    language: str | None = Field("en", description="None = detect (multilingual models only)")
    cpu_threads: int = Field(0, ge=0, description="0 = CTranslate2 default")
    cache_dir: str | None = Field(None, description="Where split models are assembled")


class WhisperTranscriber:
    """Transcribes mono audio; load once, call many times (not thread-safe)."""

    sample_rate = TARGET_SAMPLE_RATE

    def __init__(self, model: str | os.PathLike | None = None,
                 config: WhisperConfig | None = None, **overrides):
        cfg = (config or WhisperConfig()).model_copy(update=overrides)
        if model is not None:
            cfg = cfg.model_copy(update={"model": os.fspath(model)})
        self.config = WhisperConfig.model_validate(cfg.model_dump())
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise SaladError("ASR needs faster-whisper: pip install faster-whisper "
                             "(or: pip install 'salad-speech[asr]')") from exc
        self.model_dir: Path = whisper_model_dir(self.config.model, self.config.cache_dir)
        self._model = WhisperModel(str(self.model_dir), device=self.config.device,
                                   compute_type=self.config.compute_type,
                                   cpu_threads=self.config.cpu_threads)

    def model_id(self) -> str:
        """Identity of model + decoding settings (key for cached transcripts)."""
        try:
            fw = version("faster-whisper")
        except PackageNotFoundError:
            fw = "?"
        size = (self.model_dir / "model.bin").stat().st_size
        c = self.config
        return (f"faster-whisper={fw}|{c.model}|bin={size}|{c.compute_type}|beam={c.beam_size}"
                f"|lang={c.language}")

    def transcribe(self, audio: np.ndarray, sample_rate: int) -> str:
        """Transcript of one utterance (leading/trailing spaces removed)."""
        wav = resample(audio, sample_rate, TARGET_SAMPLE_RATE)
        if wav.size == 0:
            return ""
        c = self.config
        segments, _ = self._model.transcribe(
            wav, language=c.language, beam_size=c.beam_size, vad_filter=False,
            condition_on_previous_text=False, without_timestamps=True, temperature=0.0)
        return " ".join(s.text.strip() for s in segments).strip()

    def transcribe_file(self, path: str | os.PathLike) -> str:
        audio, sr = read_audio(path)
        return self.transcribe(audio, sr)

    def transcribe_many(self, items: Iterable[tuple[np.ndarray, int]]) -> list[str]:
        return [self.transcribe(a, sr) for a, sr in items]
