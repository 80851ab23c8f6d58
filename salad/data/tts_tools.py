"""Helpers for TTS engines that run an external program (espeak-ng, flite, Festival, ...).

Programs are always called with argument lists (never a shell string) and text reaches them
through stdin or a temporary file, so no text can be interpreted by a shell. A missing program
raises :class:`~salad.core.errors.SaladError` naming the Debian package to install.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..core.errors import SaladError


def require_binary(name: str, debian_package: str) -> str:
    """Absolute path of program ``name``; a clear error when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise SaladError(
            f"program {name!r} not found on PATH; install it with "
            f"'apt-get install {debian_package}' (Debian/Ubuntu package {debian_package})"
        )
    return path


def run_program(
    argv: Sequence[str], *, stdin: str | None = None, timeout: float = 120.0, what: str = ""
) -> subprocess.CompletedProcess:
    """Run ``argv`` (a list, no shell); raise SaladError with stderr when it fails."""
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SaladError(f"{what or argv[0]}: timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise SaladError(f"{what or argv[0]}: cannot run {argv[0]}: {exc}") from exc
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
        raise SaladError(
            f"{what or argv[0]}: exit status {proc.returncode}: {' | '.join(err) or 'no output'}"
        )
    return proc


def synthesize_to_wav(
    make_argv: Callable[[Path, Path], Sequence[str]],
    text: str,
    *,
    what: str,
    use_stdin: bool = False,
    timeout: float = 120.0,
) -> tuple[np.ndarray, int]:
    """Run a program that writes a wav file and return ``(mono float32 audio, rate)``.

    ``make_argv(text_file, wav_file)`` builds the argument list; the text is written to
    ``text_file`` (UTF-8) and, when ``use_stdin`` is set, also fed on stdin.
    """
    from .audio import read_audio

    with tempfile.TemporaryDirectory(prefix="salad-tts-") as tmp:
        text_file = Path(tmp) / "input.txt"
        wav_file = Path(tmp) / "output.wav"
        text_file.write_text(text + "\n", encoding="utf-8")
        run_program(make_argv(text_file, wav_file), stdin=text if use_stdin else None,
                    timeout=timeout, what=what)
        if not wav_file.exists() or wav_file.stat().st_size <= 44:
            raise SaladError(f"{what}: produced no audio for text {text[:60]!r}")
        return read_audio(wav_file)


def program_version(argv: Sequence[str]) -> str:
    """First non-empty output line of e.g. ``[prog, '--version']`` (empty string on failure)."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        if line.strip():
            return line.strip()
    return ""


def file_fingerprint(path: str | Path, full_hash_below: int = 64 << 20) -> str:
    """Cheap identity of a model/data file: SHA-256 prefix when small, else size + mtime-free
    hash of the first and last MiB."""
    path = Path(path)
    size = path.stat().st_size
    h = hashlib.sha256()
    with path.open("rb") as fh:
        if size <= full_hash_below:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        else:
            h.update(fh.read(1 << 20))
            fh.seek(size - (1 << 20))
            h.update(fh.read(1 << 20))
    return f"{size}:{h.hexdigest()[:16]}"


def dir_fingerprint(paths: Sequence[str | Path]) -> str:
    """Fingerprint of several files (names + sizes), e.g. a voice directory's contents."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(f"{p.name}:{p.stat().st_size};".encode())
    return h.hexdigest()[:16]
