"""``salad data`` subcommands through their argparse registration."""

from __future__ import annotations

import argparse
import json

import pytest

from salad.cli.data_cmd import add_commands
from salad.core.errors import SaladError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="salad")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_corpus_command_writes_text_manifest(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("One short line of text.\nAnother short line of text.\n")
    out = tmp_path / "out.jsonl"
    assert _run(["data", "corpus", "salad.text_file_corpus.v1", str(out), "--config",
                 json.dumps({"paths": [str(src)], "default_domains": ["demo"]})]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["domains"] for r in rows] == [["demo"], ["demo"]]
    assert "2 texts" in capsys.readouterr().out


def test_prepare_mini_rejects_bad_config(tmp_path):
    cfg = tmp_path / "mini.yaml"
    cfg.write_text("narrow_train: 0\nno_such_field: 1\n")
    with pytest.raises(SaladError, match="no_such_field"):
        _run(["data", "prepare-mini", "--config", str(cfg)])


def test_synthesize_command_missing_config(tmp_path):
    with pytest.raises(SaladError, match="not found"):
        _run(["data", "synthesize", str(tmp_path / "none.yaml")])
