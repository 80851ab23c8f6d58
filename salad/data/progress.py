"""Progress bars: the one tqdm factory every long loop uses.

On a terminal a bar redraws in place as usual. When stderr is not a terminal (a log file, a
pipe, CI) a bar prints a whole line at most every ``SALAD_PROGRESS_INTERVAL`` seconds (default
:data:`LOG_INTERVAL_S`) and its final state, and a loop that ends sooner prints nothing;
carriage returns and the cursor moves of nested bars never reach the log.
"""

from __future__ import annotations

import io
import os
import re
import sys
from typing import Any

LOG_INTERVAL_S = 10.0
_CURSOR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _LogLines(io.TextIOBase):
    """A stream for tqdm that turns each redraw into one log line: carriage returns and ANSI
    cursor moves are dropped, and so are the blank redraws that clear a finished bar."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        for part in re.split(r"[\r\n]", _CURSOR.sub("", text)):
            if part.strip():
                self.stream.write(part.rstrip() + "\n")
        self.stream.flush()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def log_interval() -> float:
    """Seconds between a bar's lines in a log (``SALAD_PROGRESS_INTERVAL``)."""
    value = os.environ.get("SALAD_PROGRESS_INTERVAL", "")
    try:
        return float(value) if value else LOG_INTERVAL_S
    except ValueError:
        from ..core.errors import SaladError

        raise SaladError(f"SALAD_PROGRESS_INTERVAL={value!r} is not a number of seconds") from None


def progress_bar(iterable: Any = None, *, desc: str, unit: str = "it", total: int | None = None,
                 disable: bool = False, **kwargs: Any):
    """A ``tqdm`` bar on stderr that keeps logs clean (see the module docstring)."""
    from tqdm import tqdm

    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        every = log_interval()
        kwargs = {**kwargs, "mininterval": every, "maxinterval": every, "delay": every,
                  "file": _LogLines(stream), "dynamic_ncols": False}
    return tqdm(iterable, desc=desc, unit=unit, total=total, disable=disable, **kwargs)
