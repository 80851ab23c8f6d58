"""A tiny real TTS engine plugin for tests: one tone per character (deterministic).

Loaded as a local plugin module (``plugins: [path/to/tone_tts.py]``). Knobs for failure tests:
``calls_log`` gets one line per synthesize() call (safe across processes: O_APPEND),
``fail_on`` makes texts containing the substring raise and ``silent_on`` returns silence.
Knobs that must not change the audio's cache key come from the environment:
``TONE_EXIT_AFTER=N`` ends the process abruptly (``os._exit``) on its N-th call, like a kill;
``TONE_EXIT_ON=substring`` does so for matching texts; ``TONE_DELAY_S`` sleeps per call.
"""

from __future__ import annotations

import os
import time

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl

_PROCESS_CALLS = 0


class ToneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sample_rate: int = Field(8000, description="Native rate (the job resamples to 16 kHz)")
    char_s: float = Field(0.03, gt=0, description="Seconds per character")
    calls_log: str | None = None
    fail_on: str | None = None
    silent_on: str | None = None


class ToneTTS:
    def __init__(self, config: ToneConfig):
        self.config = config
        self.sample_rate = config.sample_rate

    def engine_version(self) -> str:
        return f"tone-1-{self.config.char_s}"

    def voices(self) -> list[str]:
        return ["low", "high"]

    def synthesize(self, text: str, voice: str):
        import numpy as np

        cfg = self.config
        global _PROCESS_CALLS
        _PROCESS_CALLS += 1
        exit_after = os.environ.get("TONE_EXIT_AFTER")
        if exit_after and int(exit_after) <= _PROCESS_CALLS:
            os._exit(3)
        exit_on = os.environ.get("TONE_EXIT_ON")
        if exit_on and exit_on in text:
            os._exit(3)
        time.sleep(float(os.environ.get("TONE_DELAY_S", "0")))
        if cfg.calls_log:
            fd = os.open(cfg.calls_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, f"{voice}\t{text}\n".encode())
            os.close(fd)
        if voice not in self.voices():
            raise ValueError(f"unknown voice {voice!r}")
        if cfg.fail_on and cfg.fail_on in text:
            raise RuntimeError(f"tone engine refuses {cfg.fail_on!r}")
        n = int(cfg.char_s * self.sample_rate)
        t = np.arange(n) / self.sample_rate
        base = 150.0 if voice == "low" else 300.0
        tones = [0.3 * np.sin(2 * np.pi * (base + 7 * (ord(c) % 50)) * t) for c in text]
        audio = np.concatenate(tones).astype(np.float32)
        if cfg.silent_on and cfg.silent_on in text:
            audio[:] = 0.0
        return audio


@hookimpl
def salad_tts_engines():
    return [ComponentRecord(name="test.tone_tts.v1", version="1.0.0", config=ToneConfig,
                            factory=ToneTTS, summary="One tone per character (tests).",
                            ports=lambda c: {"sample_rate": c.sample_rate,
                                             "voices": ["low", "high"]})]
