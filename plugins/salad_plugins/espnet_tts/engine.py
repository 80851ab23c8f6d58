"""ESPnet2 engine: ``espnet2.bin.tts_inference.Text2Speech`` from a model tag or local files.

With ``model_tag`` set and no local files, ``Text2Speech.from_pretrained`` downloads the model
through espnet_model_zoo (online users). ``train_config`` + ``model_file`` load a local model
(e.g. one trained with an ESPnet recipe) without network access.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from salad.core.errors import SaladError
from salad.data.audio import resample, to_mono_float32
from salad.data.tts_tools import file_fingerprint

from .hooks import EspnetConfig, _voices

_INSTALL = ("bash scripts/setup.sh (it installs ESPnet for CPU; see the espnet extra in "
            "pyproject.toml)")


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def load_text2speech(config: EspnetConfig) -> Any:
    """Build ``Text2Speech`` from local files or a model tag (the tag needs the model hub)."""
    try:
        from espnet2.bin.tts_inference import Text2Speech
    except ImportError as exc:
        raise SaladError(f"salad.espnet_tts.v1 needs ESPnet: {_INSTALL}") from exc
    common = {"vocoder_config": config.vocoder_config, "vocoder_file": config.vocoder_file,
              "device": config.device, "seed": config.seed, "always_fix_seed": True}
    if config.train_config is not None:
        for f in (config.train_config, config.model_file):
            if not Path(str(f)).is_file():
                raise SaladError(f"salad.espnet_tts.v1: file not found: {f}")
        return Text2Speech(train_config=config.train_config, model_file=config.model_file,
                           **common)
    try:
        import espnet_model_zoo  # noqa: F401
    except ImportError as exc:
        raise SaladError(f"model_tag {config.model_tag!r} needs espnet_model_zoo (and the model "
                         "hub): pip install --no-deps espnet_model_zoo") from exc
    return Text2Speech.from_pretrained(model_tag=config.model_tag,
                                       vocoder_tag=config.vocoder_tag, **common)


class EspnetTTS:
    def __init__(self, config: EspnetConfig | None = None):
        self.config = config or EspnetConfig()
        self.sample_rate = self.config.sample_rate
        self._tts = load_text2speech(self.config)
        fs = self.config.model_sample_rate or self._tts.fs
        if not fs:
            raise SaladError("salad.espnet_tts.v1: the model does not state its sampling rate; "
                             "set model_sample_rate in the config")
        self.model_sample_rate = int(fs)
        self._check_voice(self.config.voice)

    def voices(self) -> list[str]:
        return _voices(self.config)

    def engine_version(self) -> str:
        c = self.config
        if c.model_file is not None:
            source = f"file={file_fingerprint(c.model_file)}"
        else:
            source = f"tag={c.model_tag}"
        if c.vocoder_file is not None:
            source += f"|vocoder={file_fingerprint(c.vocoder_file)}"
        elif c.vocoder_tag:
            source += f"|vocoder={c.vocoder_tag}"
        return (f"espnet={_dist_version('espnet')}|torch={_dist_version('torch')}|{source}"
                f"|seed={c.seed}|sr={self.sample_rate}")

    def _check_voice(self, voice: str) -> None:
        if voice not in self.voices():
            raise SaladError(f"espnet: unknown voice {voice!r} (valid: {', '.join(self.voices())})")

    def synthesize(self, text: str, voice: str | None = None) -> np.ndarray:
        import torch

        voice = voice or self.config.voice
        self._check_voice(voice)
        if not text.strip():
            raise SaladError("espnet: empty text")
        kwargs = {}
        if voice.startswith("spk"):
            kwargs["sids"] = np.array([int(voice[3:])])
        with torch.no_grad():
            out = self._tts(text.strip(), **kwargs)
        wav = out["wav"].detach().cpu().numpy().reshape(-1)
        peak = float(np.max(np.abs(wav))) if wav.size else 0.0
        if peak > 1.0:
            wav = wav / peak
        return resample(to_mono_float32(wav), self.model_sample_rate, self.sample_rate)
