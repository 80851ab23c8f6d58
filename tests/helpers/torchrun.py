"""Launching the CLI as a real ``torchrun`` job of several processes (slow tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def torchrun(size: int, args: list[str], cwd: str | Path = REPO, timeout: int = 300,
             env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``salad ARGS`` on ``size`` local ranks (a free rendezvous port; ``env`` added to the
    environment); with ``check``, fails the test unless every rank succeeds."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(size),
           "--master-port", port, "-m", "salad.cli.main", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                            env={**os.environ, **(env or {})})
    assert not check or result.returncode == 0, result.stderr[-3000:]
    return result
