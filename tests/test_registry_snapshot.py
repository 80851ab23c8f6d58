"""The first-party registry names are a public API: none may disappear."""

from __future__ import annotations

from pathlib import Path

from salad.core.plugin_host import get_host

SNAPSHOT = Path(__file__).with_name("registry_snapshot.txt")


def _current() -> set[str]:
    host = get_host()
    return {f"{r.kind} {r.name}" for r in host.all_records()
            if r.distribution == "salad-speech"}


def _snapshot() -> set[str]:
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def test_no_registered_name_disappears():
    missing = _snapshot() - _current()
    assert not missing, f"registered names disappeared: {sorted(missing)}"


def test_new_names_are_added_to_the_snapshot():
    new = _current() - _snapshot()
    assert not new, f"add these lines to {SNAPSHOT.name}: {sorted(new)}"
