"""Reader for CTranslate2 ``model.bin`` files (binary format version 6).

Layout (little endian): ``u32 version``, ``string spec_name``, ``u32 revision``, ``u32 n_vars``,
then per variable ``string name``, ``u8 rank``, ``u32 dims[rank]``, ``u8 dtype``, ``u32 n_bytes``,
``bytes``; then ``u32 n_aliases`` and pairs of strings ``(alias, target)``. Strings are
``u16 length`` (including a trailing NUL) followed by UTF-8 bytes.
"""
from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salad import SaladError

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
SUPPORTED_VERSIONS = (5, 6)


@dataclass
class CT2Model:
    spec: str
    revision: int
    version: int
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    sha256: str = ""

    def get(self, name: str) -> np.ndarray:
        name = self.aliases.get(name, name)
        try:
            return self.arrays[name]
        except KeyError:
            raise SaladError(f"CTranslate2 {self.spec} model has no variable {name!r}") from None


class _ChainedReader:
    """Sequential reader over several files as if they were one (split ``model.bin``)."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = list(paths)
        self._index = 0
        self._file = open(self.paths[0], "rb")  # noqa: SIM115 - closed in close()
        self.hash = hashlib.sha256()
        self.offset = 0

    def read(self, n: int) -> bytes:
        chunks = []
        while n > 0:
            chunk = self._file.read(n)
            if not chunk:
                if self._index + 1 >= len(self.paths):
                    raise SaladError(
                        f"CTranslate2 model ends early at byte {self.offset} "
                        f"({', '.join(map(str, self.paths))}): truncated or missing part?")
                self._file.close()
                self._index += 1
                self._file = open(self.paths[self._index], "rb")  # noqa: SIM115
                continue
            chunks.append(chunk)
            n -= len(chunk)
            self.offset += len(chunk)
        data = b"".join(chunks)
        self.hash.update(data)
        return data

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt)))[0]

    def string(self) -> str:
        n = self.unpack("H")
        return self.read(n)[:-1].decode("utf-8")

    def at_end(self) -> bool:
        rest = self._file.read(1)
        return not rest and self._index + 1 >= len(self.paths)

    def close(self) -> None:
        self._file.close()


def _to_numpy(raw: bytes, dtype: str, dims: list[int]) -> np.ndarray:
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(dims)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(dims)


def read_ct2_model(paths: Path | Sequence[Path],
                   keep: Callable[[str], bool] = lambda name: True) -> CT2Model:
    """Parse a ``model.bin`` (or its parts, in order); only variables accepted by ``keep`` are
    materialised. ``sha256`` covers the whole file, so it identifies the weights."""
    parts = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    for p in parts:
        if not p.is_file():
            raise SaladError(f"CTranslate2 model file not found: {p}")
    reader = _ChainedReader(parts)
    try:
        version = reader.unpack("I")
        if version not in SUPPORTED_VERSIONS:
            raise SaladError(f"{parts[0]}: unsupported CTranslate2 binary version {version} "
                             f"(supported: {SUPPORTED_VERSIONS})")
        model = CT2Model(spec=reader.string(), revision=reader.unpack("I"), version=version)
        for _ in range(reader.unpack("I")):
            name = reader.string()
            dims = [reader.unpack("I") for _ in range(reader.unpack("B"))]
            code = reader.unpack("B")
            if code >= len(_DTYPES):
                raise SaladError(f"{parts[0]}: variable {name!r} has unknown dtype code {code}")
            raw = reader.read(reader.unpack("I"))
            if keep(name):
                model.arrays[name] = _to_numpy(raw, _DTYPES[code], dims)
        for _ in range(reader.unpack("I")):
            alias = reader.string()
            model.aliases[alias] = reader.string()
        if not reader.at_end():
            raise SaladError(f"{parts[-1]}: trailing bytes after the CTranslate2 model")
        model.sha256 = reader.hash.hexdigest()
    finally:
        reader.close()
    return model


def dequantize(model: CT2Model, name: str) -> np.ndarray:
    """A weight as float32, undoing CTranslate2's int8/int16 row-wise quantisation."""
    w = model.get(name)
    if w.dtype in (np.int8, np.int16):
        scale = model.get(name + "_scale").astype(np.float32)
        return w.astype(np.float32) / scale.reshape(-1, *([1] * (w.ndim - 1)))
    return w.astype(np.float32)
