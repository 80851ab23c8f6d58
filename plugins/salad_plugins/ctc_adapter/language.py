"""The adapter's written language: the lexicon and the character LM of its ``texts``.

Counting a corpus's character n-grams is pure Python (about 30 s for the miniature's 242k
texts) and every process that builds an adapter needs them (each stage, each ``salad eval``), so
the counts are kept on disk, ``<cache root>/ctc_language/<key>.json`` (written atomically; the
key names the texts' content, the alphabet and the LM order), and the built language once per
process in memory (shared by the adapters that read the same texts).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

from salad.core.items import TextRecord
from salad.data.feature_cache import file_hash
from salad.data.files import atomic_write_text
from salad.data.manifests import read_text_manifest
from salad.data.paths import cache_root

from .decode import CharNgram, count_grams
from .head import Alphabet
from .lexicon import Lexicon

FORMAT = "salad-ctc-language-v1"
_KEPT = 4  # languages kept in memory per process
_LOADED: OrderedDict[str, Language] = OrderedDict()


@dataclass(frozen=True)
class Language:
    lexicon: Lexicon
    char_lm: CharNgram | None  # None when no order was asked for (greedy decoding)


def language_key(paths: list[str | Path], alphabet: Alphabet, order: int | None) -> str:
    """Content key of the language of ``paths`` (their bytes, in order), the alphabet and the
    character LM's order."""
    h = hashlib.sha256(json.dumps([FORMAT, alphabet.chars, order]).encode())
    for path in paths:
        h.update(file_hash(path).encode())
    return h.hexdigest()[:32]


def _counts(paths: list[str | Path], alphabet: Alphabet, order: int | None) -> dict:
    texts = [alphabet.normalize(r.text) for p in paths for r in read_text_manifest(p)
             if isinstance(r, TextRecord)]
    return {"format": FORMAT, "words": dict(Lexicon.from_texts(texts).counts),
            "grams": count_grams(texts, order) if order else None}


def _read(path: Path) -> dict | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent or unreadable: counted again and rewritten
    return saved if isinstance(saved, dict) and saved.get("format") == FORMAT else None


def load_language(paths: list[str | Path], alphabet: Alphabet, order: int | None,
                  cache_dir: str | Path | None = None) -> Language:
    """The lexicon and (with ``order``) the character LM of the text manifests ``paths``, from
    this process's memory, else from the disk cache under ``cache_dir`` (default: the cache
    root), else counted and saved there."""
    key = language_key(paths, alphabet, order)
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    path = Path(cache_dir or cache_root()) / "ctc_language" / f"{key}.json"
    counts = _read(path)
    if counts is None:
        counts = _counts(paths, alphabet, order)
        atomic_write_text(path, json.dumps(counts))
    language = Language(Lexicon(Counter(counts["words"])),
                        CharNgram(counts["grams"], order, alphabet.chars) if order else None)
    _LOADED[key] = language
    while len(_LOADED) > _KEPT:
        _LOADED.popitem(last=False)
    return language
