"""Row parsers: one JSON object (a local JSONL line or a Hugging Face row) -> item fields.

Every parser returns ``(context, choices, gold, contexts, meta)`` or raises ``ValueError`` naming
the bad field. The scorer appends ``" " + choice`` to the context, so any answer cue
("\\nAnswer:") is part of the context here. Only the standard library is imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Parsed = tuple[str, tuple[str, ...], int, "tuple[str, ...] | None", dict]
RowParser = Callable[[Mapping[str, Any]], Parsed]


def _field(row: Mapping[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    if name not in row:
        raise ValueError(f"missing field {name!r} (fields: {', '.join(sorted(row)) or 'none'})")
    value = row[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ValueError(f"field {name!r} must be {want}, got {type(value).__name__}")
    return value


def _gold(gold: Any, n: int, name: str = "gold") -> int:
    if isinstance(gold, str) and gold.strip().lstrip("-").isdigit():
        gold = int(gold)
    if not isinstance(gold, int) or isinstance(gold, bool) or not 0 <= gold < n:
        raise ValueError(f"field {name!r} must be an index in [0, {n}), got {gold!r}")
    return gold


def _strings(value: Any, name: str, min_len: int = 1) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < min_len:
        raise ValueError(f"field {name!r} must be a list of at least {min_len} strings")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"field {name!r} must hold only strings")
    return tuple(value)


def multiple_choice(suffix: str = "") -> RowParser:
    """``{query, choices, gold}`` (the llm-foundry local format); ``suffix`` is appended to the
    query (e.g. ``"\\nAnswer:"``) after stripping trailing whitespace when the suffix is set."""

    def parse(row: Mapping[str, Any]) -> Parsed:
        query = _field(row, "query")
        choices = _strings(_field(row, "choices", list), "choices", 2)
        gold = _gold(_field(row, "gold", (int, str)), len(choices))
        context = query.rstrip() + suffix if suffix else query
        return context, choices, gold, None, {"question": query.strip()}

    return parse


def winogrande_local(row: Mapping[str, Any]) -> Parsed:
    """``{context_options, continuation, gold}``: one context per option, a shared continuation."""
    contexts = _strings(_field(row, "context_options", list), "context_options", 2)
    continuation = _field(row, "continuation")
    gold = _gold(_field(row, "gold", (int, str)), len(contexts))
    return "", (continuation,), gold, contexts, {}


def lambada_local(row: Mapping[str, Any]) -> Parsed:
    """``{context, continuation}``: one continuation, scored by exact greedy match."""
    context = _field(row, "context")
    continuation = _field(row, "continuation").strip()
    if not continuation:
        raise ValueError("field 'continuation' is empty")
    return context.rstrip(), (continuation,), 0, None, {}


def hellaswag_preprocess(text: str) -> str:
    """The standard HellaSwag cleanup (as in lm-evaluation-harness)."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def hellaswag_raw(row: Mapping[str, Any]) -> Parsed:
    """Raw HellaSwag ``{activity_label, ctx_a, ctx_b | ctx, endings, label}`` (local or HF)."""
    if "ctx_a" in row:
        ctx = _field(row, "ctx_a") + " " + _field(row, "ctx_b").capitalize()
    else:
        ctx = _field(row, "ctx")
    label = row.get("activity_label", "")
    context = hellaswag_preprocess(f"{label}: {ctx}" if label else ctx)
    endings = _strings(_field(row, "endings", list), "endings", 2)
    gold = _gold(_field(row, "label", (int, str)), len(endings), "label")
    return context, tuple(hellaswag_preprocess(e) for e in endings), gold, None, {}


# ---- Hugging Face row mappers (field names of the public datasets) ----

def hf_openbookqa(row: Mapping[str, Any]) -> Parsed:
    choices = _strings(row["choices"]["text"], "choices.text", 2)
    gold = _gold(list(row["choices"]["label"]).index(row["answerKey"].strip()), len(choices))
    stem = _field(row, "question_stem")
    return stem, choices, gold, None, {"question": stem}


def hf_arc(row: Mapping[str, Any]) -> Parsed:
    choices = _strings(row["choices"]["text"], "choices.text", 2)
    gold = _gold(list(row["choices"]["label"]).index(row["answerKey"]), len(choices))
    question = _field(row, "question")
    return f"Question: {question}\nAnswer:", choices, gold, None, {"question": question}


def hf_piqa(row: Mapping[str, Any]) -> Parsed:
    goal = _field(row, "goal")
    choices = (_field(row, "sol1"), _field(row, "sol2"))
    return f"Question: {goal}\nAnswer:", choices, _gold(row["label"], 2, "label"), None, {
        "question": goal}


def hf_copa(row: Mapping[str, Any]) -> Parsed:
    connector = {"cause": "because", "effect": "therefore"}[_field(row, "question")]
    premise = _field(row, "premise").strip()
    context = f"{premise[:-1] if premise.endswith('.') else premise}, {connector}"

    def lower_first(s: str) -> str:
        return s[:1].lower() + s[1:]

    choices = (lower_first(_field(row, "choice1")), lower_first(_field(row, "choice2")))
    return context, choices, _gold(row["label"], 2, "label"), None, {"question": premise}


def hf_boolq(row: Mapping[str, Any]) -> Parsed:
    passage, question = _field(row, "passage"), _field(row, "question")
    answer = _field(row, "answer", bool)
    context = f"Passage: {passage}\nQuestion: {question}?\nAnswer:"
    return context, ("no", "yes"), int(answer), None, {"question": question}


def hf_winogrande(row: Mapping[str, Any]) -> Parsed:
    sentence = _field(row, "sentence")
    if "_" not in sentence:
        raise ValueError("field 'sentence' has no '_' blank")
    cut = sentence.index("_")
    contexts = (sentence[:cut] + _field(row, "option1"), sentence[:cut] + _field(row, "option2"))
    continuation = sentence[cut + 1:].strip()
    return "", (continuation,), _gold(int(_field(row, "answer")) - 1, 2, "answer"), contexts, {}


def hf_lambada(row: Mapping[str, Any]) -> Parsed:
    text = _field(row, "text").rstrip()
    if " " not in text:
        raise ValueError("field 'text' has a single word")
    context, word = text.rsplit(" ", 1)
    return context, (word,), 0, None, {}


def hf_storycloze(row: Mapping[str, Any]) -> Parsed:
    story = " ".join(_field(row, f"input_sentence_{i}").strip() for i in range(1, 5))
    choices = (_field(row, "sentence_quiz1"), _field(row, "sentence_quiz2"))
    gold = _gold(int(_field(row, "answer_right_ending", (int, str))) - 1, 2, "answer_right_ending")
    return story, choices, gold, None, {"question": story}


def hf_mmsu(row: Mapping[str, Any]) -> Parsed:
    question = _field(row, "question")
    letters = "abcd"
    choices = tuple(_field(row, f"option_{c}") for c in letters)
    answer = _field(row, "answer").strip().lower()
    if answer not in letters:
        raise ValueError(f"field 'answer' must be one of A-D, got {answer!r}")
    return f"Question: {question}\nAnswer:", choices, letters.index(answer), None, {
        "question": question, "category": row.get("category", "")}
