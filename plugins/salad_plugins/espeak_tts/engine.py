"""espeak-ng engine: ``espeak-ng -v LANG+VARIANT -w out.wav -f text.txt`` per utterance.

Voices are ``<language>`` (e.g. ``en-gb-scotland``) or ``<language>+<variant>`` (e.g.
``en-us+f3``), discovered from ``espeak-ng --voices``. MBROLA voices are left out (they need
the separate ``mbrola`` program and voice packages).
"""

from __future__ import annotations

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample
from salad.data.tts_tools import program_version, require_binary, run_program, synthesize_to_wav

from .hooks import EspeakConfig


def _parse_voice_table(text: str) -> list[tuple[str, str]]:
    """``(language, file)`` pairs from ``espeak-ng --voices=...`` output."""
    rows = []
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            rows.append((cols[1], cols[4]))
    return rows


class EspeakTTS:
    def __init__(self, config: EspeakConfig | None = None):
        self.config = config or EspeakConfig()
        self.binary = require_binary("espeak-ng", "espeak-ng")
        self.sample_rate = self.config.sample_rate
        self._languages: list[str] | None = None
        self._variants: list[str] | None = None
        self._version: str | None = None

    def _discover(self) -> None:
        if self._languages is not None:
            return
        en = run_program([self.binary, "--voices=en"], what="espeak-ng --voices").stdout
        langs = sorted({lang for lang, file in _parse_voice_table(en)
                        if lang.startswith("en") and not file.startswith("mb/")})
        var = run_program([self.binary, "--voices=variant"], what="espeak-ng --voices").stdout
        variants = sorted({file.split("/", 1)[1] for _, file in _parse_voice_table(var)
                           if file.startswith("!v/")})
        for wanted, found, what in ((self.config.languages, langs, "language"),
                                    (self.config.variants, variants, "variant")):
            missing = sorted(set(wanted or ()) - set(found))
            if missing:
                raise SaladError(f"espeak-ng: {what}(s) not installed: {', '.join(missing)}")
        self._languages = list(self.config.languages) if self.config.languages else langs
        self._variants = (list(self.config.variants) if self.config.variants is not None
                          else variants)

    def voices(self) -> list[str]:
        self._discover()
        assert self._languages is not None and self._variants is not None
        out = list(self._languages)
        out += [f"{lang}+{v}" for lang in self._languages for v in self._variants]
        return out

    def engine_version(self) -> str:
        if self._version is None:
            ver = program_version([self.binary, "--version"])
            c = self.config
            self._version = (f"espeak-ng|{ver}|s={c.speed_wpm}|p={c.pitch}"
                             f"|sr={self.sample_rate}")
        return self._version

    def _check_voice(self, voice: str) -> None:
        self._discover()
        lang, _, variant = voice.partition("+")
        if lang not in (self._languages or []) or (variant and variant not in
                                                   (self._variants or [])):
            raise SaladError(
                f"espeak-ng: unknown voice {voice!r}; use LANGUAGE or LANGUAGE+VARIANT with "
                f"LANGUAGE in {', '.join(self._languages or [])} (variants: "
                f"'espeak-ng --voices=variant')")

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        voice = voice or self.config.voice
        self._check_voice(voice)
        if not text.strip():
            raise SaladError("espeak-ng: empty text")
        c = self.config
        audio, sr = synthesize_to_wav(
            lambda txt, wav: [self.binary, "-b", "1", "-v", voice, "-s", str(c.speed_wpm),
                              "-p", str(c.pitch), "-w", str(wav), "-f", str(txt)],
            text.strip(), what=f"espeak-ng voice {voice}", timeout=c.timeout_s)
        return resample(audio, sr, self.sample_rate)
