"""salad.data.files: the one atomic writer, located UTF-8 and YAML errors, the file lock."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from salad.core.errors import SaladError
from salad.data.files import (
    atomic_path,
    atomic_write_json,
    atomic_write_lines,
    exclusive_lock,
    load_yaml_mapping,
    read_text,
)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "out.json"
    atomic_write_json(path, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert atomic_write_lines(path, ["a", "b"]) == 2 and path.read_text() == "a\nb\n"


def test_directory_is_replaced_whole(tmp_path):
    target = tmp_path / "ckpt"
    for version in ("old", "new"):
        with atomic_path(target, directory=True) as tmp:
            (tmp / version).write_text(version)
    assert [p.name for p in target.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    with pytest.raises(OSError), atomic_path(target, directory=True) as tmp:
        (tmp / "partial").write_text("x")
        raise OSError("disk full")
    assert [p.name for p in target.iterdir()] == ["new"]


def test_non_utf8_text_names_line_and_column(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"name: x\nvoice: caf\xe9\n")
    with pytest.raises(SaladError, match=r"r\.yaml:2: not UTF-8 \(byte 0xe9 at column 11\)"):
        read_text(path)


def test_yaml_mapping_errors_are_located(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\nb: [\n")
    with pytest.raises(SaladError, match=r"c\.yaml:3: job config is not valid YAML"):
        load_yaml_mapping(path, "job config")
    path.write_text("a: 1\nb: 2\na: 3\n")
    with pytest.raises(SaladError, match=r"c\.yaml:3: .*duplicate key 'a' \(first at line 1\)"):
        load_yaml_mapping(path, "job config")
    path.write_text("- a\n")
    with pytest.raises(SaladError, match="must be a mapping"):
        load_yaml_mapping(path, "job config")


def test_lock_waits_for_the_holder_and_is_released_when_it_dies(tmp_path):
    lock = tmp_path / "x.lock"
    code = ("import sys, time; from salad.data.files import exclusive_lock\n"
            "with exclusive_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waited = []
        # The kernel releases the lock of a killed process: kill the holder once we wait.
        with exclusive_lock(lock, waiting=lambda: (waited.append(True), holder.kill())):
            assert waited == [True]
    finally:
        holder.kill()
        holder.wait()
