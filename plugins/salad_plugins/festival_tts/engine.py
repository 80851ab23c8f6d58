"""Festival engine: ``text2wave -eval (voice_V) text.txt -o out.wav`` per utterance.

Installed voices are asked from Festival itself (``(voice.list)``), so extra festvox packages
show up without code changes.
"""

from __future__ import annotations

import re

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample
from salad.data.tts_tools import (
    dir_fingerprint,
    program_version,
    require_binary,
    run_program,
    synthesize_to_wav,
)

from .hooks import FESTIVAL_VOICE_PACKAGES, VOICE_DIRS, FestivalConfig


class FestivalTTS:
    def __init__(self, config: FestivalConfig | None = None):
        self.config = config or FestivalConfig()
        self.festival = require_binary("festival", "festival")
        self.text2wave = require_binary("text2wave", "festival")
        self.sample_rate = self.config.sample_rate
        self._voices: list[str] | None = None
        self._version: str | None = None

    def voices(self) -> list[str]:
        if self._voices is None:
            out = run_program([self.festival, "--pipe"], stdin="(print (voice.list))\n",
                              timeout=60, what="festival voice list").stdout
            match = re.search(r"\(([^()]*)\)\s*$", out.strip())
            names = match.group(1).split() if match else []
            self._voices = sorted(n for n in names if re.fullmatch(r"[A-Za-z0-9_]+", n))
        return list(self._voices)

    def engine_version(self) -> str:
        if self._version is None:
            files = [p for d in VOICE_DIRS if d.is_dir() for p in d.rglob("*") if p.is_file()]
            ver = program_version([self.festival, "--version"])
            self._version = (f"festival|{ver}|voices={dir_fingerprint(files)}"
                             f"|sr={self.sample_rate}")
        return self._version

    def _check_voice(self, voice: str) -> None:
        if voice in self.voices():
            return
        hint = FESTIVAL_VOICE_PACKAGES.get(voice)
        install = f"; install it with 'apt-get install {hint}'" if hint else ""
        raise SaladError(f"festival: voice {voice!r} is not installed{install} "
                         f"(installed: {', '.join(self.voices()) or 'none'})")

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        voice = voice or self.config.voice
        self._check_voice(voice)
        if not text.strip():
            raise SaladError("festival: empty text")
        audio, sr = synthesize_to_wav(
            lambda txt, wav: [self.text2wave, "-eval", f"(voice_{voice})", str(txt),
                              "-o", str(wav)],
            text.strip(), what=f"festival voice {voice}", timeout=self.config.timeout_s)
        return resample(audio, sr, self.sample_rate)
