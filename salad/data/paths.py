"""Where SALAD keeps derived files that can be rebuilt (assembled models, caches)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$SALAD_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/salad`` (``~/.cache/salad``)."""
    env = os.environ.get("SALAD_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "salad"
