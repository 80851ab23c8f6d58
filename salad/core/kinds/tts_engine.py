"""TTS engines: speak text with a named voice.

A record may declare the port ``voices`` (the voice names, when the engine can tell without
being built); recipes and synthesis configs are then checked against it at validation time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from ._kind import Kind

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class TTSEngine(Protocol):
    sample_rate: int

    def engine_version(self) -> str:
        """Changes whenever the same text and voice could sound different."""

    def voices(self) -> list[str]: ...

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        """Mono float32 audio in ``[-1, 1]`` at ``sample_rate``."""


class TTSEngineChecks:
    sentence: ClassVar[str] = "The quick brown fox jumps over the lazy dog."

    def test_voices_listed(self, record, component):
        voices = component.voices()
        assert voices and all(isinstance(v, str) and v for v in voices)
        declared = self._ports(record).get("voices")
        if declared:  # what validation checks recipes against must be what the engine has
            assert set(declared) <= set(voices), set(declared) - set(voices)

    def test_synthesizes_speech(self, record, component):
        import numpy as np

        audio = component.synthesize(self.sentence, component.voices()[0])
        assert isinstance(audio, np.ndarray) and audio.ndim == 1 and audio.dtype == np.float32
        seconds = len(audio) / component.sample_rate
        assert 0.8 < seconds < 15, f"{seconds:.2f} s for one short sentence"
        assert float(np.abs(audio).max()) <= 1.0
        assert float(np.sqrt(np.mean(audio**2))) > 1e-3, "output is silent"
        self._assert_ports_match(record, component, ("sample_rate",))

    def test_engine_version(self, component):
        version = component.engine_version()
        assert isinstance(version, str) and version


KIND = Kind(
    key="tts_engine", hook="salad_tts_engines", title="TTS engine",
    description="Speaks text with a named voice, returning audio and its sample rate.",
    protocol=TTSEngine, contract="TTSEngineContract", checks=TTSEngineChecks,
    example="salad.piper_tts.v1", slot="tts", ports=("sample_rate", "voices"),
    required_ports=("sample_rate",), order=80,
)
