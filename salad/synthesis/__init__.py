"""Speech synthesis job: text manifest -> speech manifest (parallel, cached, resumable)."""

from .cache import AudioCache, cache_key
from .config import SynthesisConfig, VoiceSpec
from .job import SynthesisSummary, run_synthesis

__all__ = ["AudioCache", "SynthesisConfig", "SynthesisSummary", "VoiceSpec", "cache_key",
           "run_synthesis"]
