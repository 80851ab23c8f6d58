"""Read the metadata (key/value) section of a GGUF file with the standard library only.

``gguf.GGUFReader`` maps every array element to a numpy view, which takes about a minute for
Gemma's 262k-token vocabulary on a small CPU; this reader stops after the metadata, skips
numeric arrays and keeps only the keys asked for (well under a second).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class GGUFHeaderError(ValueError):
    pass


def _read(fh: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise GGUFHeaderError("file ends inside the GGUF metadata")
    return struct.unpack(fmt, data)[0]


def _string(fh: BinaryIO) -> str:
    n = _read(fh, "<Q")
    data = fh.read(n)
    if len(data) != n:
        raise GGUFHeaderError("file ends inside a GGUF string")
    return data.decode("utf-8", errors="replace")


def _value(fh: BinaryIO, vtype: int, keep: bool) -> Any:
    if vtype in _SCALARS:
        return _read(fh, _SCALARS[vtype])
    if vtype == _STRING:
        return _string(fh)
    if vtype == _ARRAY:
        etype, count = _read(fh, "<I"), _read(fh, "<Q")
        if etype in _SCALARS and not keep:
            fh.seek(struct.calcsize(_SCALARS[etype]) * count, 1)
            return None
        items = [_value(fh, etype, keep) for _ in range(count)]
        return items if keep else None
    raise GGUFHeaderError(f"unknown GGUF value type {vtype}")


def read_metadata(path: str | Path, arrays: Iterable[str] | None = None) -> dict[str, Any]:
    """Metadata of a GGUF file (v2/v3, little-endian): every scalar and string, and the arrays
    named in ``arrays`` (all arrays when None; the others are skipped, not decoded)."""
    wanted = None if arrays is None else set(arrays)
    out: dict[str, Any] = {}
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise GGUFHeaderError(f"{path} is not a GGUF file (bad magic)")
        version = _read(fh, "<I")
        if version not in (2, 3):
            raise GGUFHeaderError(f"{path}: unsupported GGUF version {version}")
        _read(fh, "<Q")  # tensor count
        for _ in range(_read(fh, "<Q")):
            key = _string(fh)
            vtype = _read(fh, "<I")
            keep = vtype != _ARRAY or wanted is None or key in wanted
            value = _value(fh, vtype, keep)
            if keep:
                out[key] = value
    return out
