"""Bad input, as a user would give it: each test builds its bad files, runs the command or job,
and checks for an error naming the file and line (or item) and what to do, the exit status,
and that nothing was lost or silently accepted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from salad.cli.main import main


@pytest.fixture
def cli(capsys):
    """``cli(*argv) -> (exit status, stdout, stderr)`` of the ``salad`` command, in-process."""

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(list(argv))
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def tone(seconds: float = 0.5, freq: float = 220.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, rate: int = 16000, subtype: str = "PCM_16") -> Path:
    import soundfile as sf

    sf.write(str(path), audio, rate, subtype=subtype, format="WAV")
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path
