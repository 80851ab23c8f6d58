"""Every corpus source passes the shared CorpusContract on the data installed here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from salad.testing import CorpusContract

SAMPLE = str(Path(__file__).with_name("sample.jsonl"))


def _needs(path: str):
    return pytest.mark.skipif(not Path(path).exists(),
                              reason=f"{path} missing (Debian package, see scripts/setup.sh)")


@pytest.mark.skipif(importlib.util.find_spec("popquotes") is None,
                    reason="popquotes missing: pip install --no-deps popquotes")
class TestPopquotes(CorpusContract):
    component_name = "salad.popquotes_corpus.v1"
    config = {"limit": 50}


@_needs("/usr/share/wordnet/data.noun")
class TestWordNet(CorpusContract):
    component_name = "salad.wordnet_corpus.v1"
    config = {"limit": 50, "pos": ["noun"]}


@_needs("/usr/share/games/fortunes")
class TestFortunes(CorpusContract):
    component_name = "salad.fortunes_corpus.v1"
    config = {"limit": 50}


@_needs("/usr/share/dictd/gcide.dict.dz")
class TestGcide(CorpusContract):
    component_name = "salad.gcide_corpus.v1"
    config = {"limit": 50}


class TestTextFile(CorpusContract):
    component_name = "salad.text_file_corpus.v1"
    config = {"paths": [SAMPLE]}
    min_records = 3


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("datasets") is None,
                    reason="Hugging Face datasets missing: pip install datasets")
class TestHFLocalJson(CorpusContract):
    component_name = "salad.hf_corpus.v1"
    config = {"dataset": "json", "data_files": [SAMPLE], "limit": 10}
    min_records = 3
