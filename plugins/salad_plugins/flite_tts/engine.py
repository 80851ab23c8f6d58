"""flite engine: ``flite -voice V -f text.txt -o out.wav`` per utterance."""

from __future__ import annotations

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample
from salad.data.tts_tools import (
    file_fingerprint,
    program_version,
    require_binary,
    synthesize_to_wav,
)

from .hooks import FLITE_VOICES, FliteConfig


class FliteTTS:
    def __init__(self, config: FliteConfig | None = None):
        self.config = config or FliteConfig()
        self.binary = require_binary("flite", "flite")
        self.sample_rate = self.config.sample_rate
        self._version: str | None = None

    def voices(self) -> list[str]:
        return list(FLITE_VOICES)

    def engine_version(self) -> str:
        if self._version is None:
            ver = program_version([self.binary, "--version"])
            self._version = (f"flite|{ver}|bin={file_fingerprint(self.binary)}"
                             f"|sr={self.sample_rate}")
        return self._version

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        voice = voice or self.config.voice
        if voice not in FLITE_VOICES:
            raise SaladError(f"flite: unknown voice {voice!r} (valid: {', '.join(FLITE_VOICES)})")
        if not text.strip():
            raise SaladError("flite: empty text")
        audio, sr = synthesize_to_wav(
            lambda txt, wav: [self.binary, "-voice", voice, "-f", str(txt), "-o", str(wav)],
            text.strip(), what=f"flite voice {voice}", timeout=self.config.timeout_s)
        return resample(audio, sr, self.sample_rate)
