"""English text -> Kokoro phoneme string via espeak-ng IPA.

Kokoro-82M was trained on misaki phonemes. espeak-ng's IPA (with ``^`` ties) maps onto that
set with the rules below (the same ones misaki's espeak fallback uses for American English):
diphthongs become single letters (``aɪ`` -> ``I``, ``eɪ`` -> ``A``, ``oʊ`` -> ``O``,
``aʊ`` -> ``W``, ``ɔɪ`` -> ``Y``), affricates become ``ʤ``/``ʧ``, r-coloured vowels are
spelled out, the flap becomes ``T`` and length marks are dropped.
"""

from __future__ import annotations

import re

from salad.data.tts_tools import run_program

_RULES = sorted({
    "ʔˌn̩": "tᵊn", "ʔn̩": "tᵊn", "ʔn": "tᵊn", "ʔ": "t",
    "a^ɪ": "I", "a^ʊ": "W", "e^ɪ": "A", "o^ʊ": "O", "ə^ʊ": "O", "ɔ^ɪ": "Y",
    "d^ʒ": "ʤ", "t^ʃ": "ʧ",
    "ɜːɹ": "ɜɹ", "ɜː": "ɜɹ", "ɚ": "əɹ", "ə^l": "ᵊl", "n̩": "ᵊn", "l̩": "ᵊl",
    "ɪ^ə": "iə", "ɛ^ə": "ɛə", "ʊ^ə": "ʊə",
    "e": "A", "r": "ɹ", "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "ɾ": "T",
    "ʲ": "", "ː": "", "^": "",
}.items(), key=lambda kv: -len(kv[0]))
_RULE_RE = re.compile("|".join(re.escape(k) for k, _ in _RULES))
_RULE_MAP = dict(_RULES)
_CLAUSE_END = re.compile(r"[,;:.!?]+")


def ipa_to_kokoro(ipa: str) -> str:
    return _RULE_RE.sub(lambda m: _RULE_MAP[m.group(0)], ipa)


def phonemize(text: str, espeak: str, language: str = "en-us") -> str:
    """Kokoro phonemes for ``text``; clause punctuation is carried over from the text."""
    out = run_program([espeak, "-q", "-v", language, "--ipa", "--tie=^", "-b", "1"],
                      stdin=text, what="espeak-ng phonemizer").stdout
    clauses = [ipa_to_kokoro(line.strip()) for line in out.splitlines() if line.strip()]
    marks = [m.group(0)[0] for m in _CLAUSE_END.finditer(text)]
    if len(marks) < len(clauses):
        marks += ["."] * (len(clauses) - len(marks))
    return " ".join(f"{c}{m}" for c, m in zip(clauses, marks, strict=False))
