"""Reading and writing files safely; every file SALAD writes or reads as text goes through here.

- :func:`atomic_path`: the one atomic writer. It yields a temporary path beside the target (a
  file, or a directory) and renames it into place only when the block succeeds, so a reader or a
  rerun after a kill sees the old content or the new, never a half-written file.
  :func:`atomic_write_text`, :func:`atomic_write_json` and :func:`atomic_write_lines` use it.
- :func:`read_text`: UTF-8 text whose decoding errors name the file, line and column.
- :func:`parse_yaml` / :func:`load_yaml_mapping`: YAML through a ``yaml.SafeLoader`` that refuses
  duplicate keys; :func:`dump_yaml`.
- :func:`exclusive_lock`: an advisory lock (``flock``) that a killed process releases.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import SaladError


@contextmanager
def atomic_path(path: str | Path, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; when the block succeeds it replaces
    ``path`` (``os.replace``), when it fails it is removed. With ``directory`` the temporary path
    is an empty directory, and an existing ``path`` directory is moved aside and removed after
    the new one is in place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}."
    if directory:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix, suffix=".tmp"))
        tmp.chmod(0o755)  # mkdtemp makes it private; what lands here is as shareable as any file
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if directory and path.is_dir():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix, suffix=".old"))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_json(path: str | Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def atomic_write_lines(path: str | Path, lines: Iterable[str]) -> int:
    """Write one line per item (newline added); returns the number of lines."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
            n += 1
    return n


class NotUTF8Error(SaladError):
    """Text that is not UTF-8, located: ``where:line``, then :attr:`reason`."""

    def __init__(self, where: str, line: int, reason: str):
        self.where, self.line, self.reason = where, line, reason
        super().__init__(f"{where}:{line}: {reason}")


def decode_utf8(data: bytes, where: str) -> str:
    """``data`` as UTF-8; an invalid byte raises :class:`NotUTF8Error` naming ``where``, the
    line and the column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NotUTF8Error(where, line, f"not UTF-8 (byte 0x{data[exc.start]:02x} at column "
                                        f"{column}); save the file as UTF-8") from None


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; a missing file or an invalid byte is a located error."""
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"{what} {path} not found")
    return decode_utf8(path.read_bytes(), str(path))


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` for which a key repeated in one mapping is an error."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first at line {seen[key]}): a "
                                    "repeated key would silently replace the first value",
                        key_node.start_mark)
                seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """``(data, node)`` of a YAML document, loaded safely; duplicate keys raise
    ``yaml.YAMLError`` (see :func:`yaml_error_line`)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return yaml.load(text, Loader=_UniqueKeyLoader), node  # a SafeLoader: no arbitrary objects


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def yaml_error_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    return " ".join(str(p) for p in (context, problem) if p) or str(exc)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def load_yaml_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """A YAML (or JSON) file holding one mapping; any problem is a :class:`SaladError` naming
    the file and line."""
    text = read_text(path, what)
    try:
        data, _ = parse_yaml(text)
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        raise SaladError(f"{path}{f':{line}' if line else ''}: {what} is not valid YAML: "
                         f"{yaml_error_message(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SaladError(f"{path}: {what} must be a mapping of settings, not "
                         f"{type(data).__name__}")
    return data


@contextmanager
def exclusive_lock(path: str | Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) for the block. When another
    process holds it, ``waiting()`` is called once and the lock is awaited. The operating system
    releases the lock when the holder exits, even when it is killed."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
