"""Benchmark definitions: one :class:`BenchmarkSpec` per benchmark, and the built-in table.

A third-party plugin adds a benchmark by returning ``benchmark_record(BenchmarkSpec(...))`` from
its own ``salad_benchmarks`` hook; nothing in the core or in this package changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import formats as f


@dataclass(frozen=True)
class HFSpec:
    """Where the public benchmark lives on the Hugging Face hub."""

    dataset: str
    config: str | None = None
    splits: tuple[str, ...] = ("test",)
    data_dir_required: bool = False  # e.g. StoryCloze: distributed on request, local data_dir


@dataclass(frozen=True)
class BenchmarkSpec:
    """name: short benchmark name (items' ``benchmark``); record: registry name.

    local_file: default file name under ``$SALAD_BENCHMARKS_DIR``; local_parser / hf_parser turn
    one row into item fields (see :mod:`.formats`); hf: the hub source (None if not on the hub).
    """

    name: str
    record: str
    summary: str
    local_file: str
    local_parser: f.RowParser
    hf: HFSpec | None = None
    hf_parser: f.RowParser | None = None
    id_field: str | None = None  # HF row field holding a stable item id
    version: str = "1.0.0"
    extra: dict = field(default_factory=dict)


ANSWER = "\nAnswer:"

BUILTIN: tuple[BenchmarkSpec, ...] = (
    BenchmarkSpec(
        "openbookqa", "salad.openbookqa.v1", "OpenBookQA (question only), 4 choices.",
        "openbook_qa.jsonl", f.multiple_choice(),
        HFSpec("allenai/openbookqa", "main", ("test",)), f.hf_openbookqa, "id"),
    BenchmarkSpec(
        "piqa", "salad.piqa.v1", "PIQA physical commonsense, 2 solutions.",
        "piqa.jsonl", f.multiple_choice(ANSWER),
        HFSpec("ybisk/piqa", None, ("validation",)), f.hf_piqa),
    BenchmarkSpec(
        "arc_challenge", "salad.arc_challenge.v1", "ARC-Challenge science questions.",
        "arc_challenge.jsonl", f.multiple_choice(ANSWER),
        HFSpec("allenai/ai2_arc", "ARC-Challenge", ("test",)), f.hf_arc, "id"),
    BenchmarkSpec(
        "hellaswag", "salad.hellaswag.v1", "HellaSwag sentence completion, 4 endings.",
        "hellaswag_val_1k.jsonl", f.hellaswag_raw,
        HFSpec("Rowan/hellaswag", None, ("validation",)), f.hellaswag_raw, "ind"),
    BenchmarkSpec(
        "storycloze", "salad.storycloze.v1", "StoryCloze 2016, pick the story ending.",
        "storycloze.jsonl", f.multiple_choice(),
        HFSpec("LSDSem/story_cloze", "2016", ("validation",), data_dir_required=True),
        f.hf_storycloze, "story_id"),
    BenchmarkSpec(
        "mmsu", "salad.mmsu.v1", "MMSU (VoiceBench) multi-subject questions, text side.",
        "mmsu.jsonl", f.multiple_choice(ANSWER),
        HFSpec("hlt-lab/voicebench", "mmsu", (
            "biology", "business", "chemistry", "economics", "engineering", "health",
            "history", "law", "other", "philosophy", "physics", "psychology")),
        f.hf_mmsu, "question_id"),
    BenchmarkSpec(
        "copa", "salad.copa.v1", "COPA cause/effect, 2 alternatives.",
        "copa.jsonl", f.multiple_choice(),
        HFSpec("aps/super_glue", "copa", ("validation",)), f.hf_copa, "idx"),
    BenchmarkSpec(
        "winogrande", "salad.winogrande.v1", "Winogrande, partial scoring of the shared ending.",
        "winogrande.jsonl", f.winogrande_local,
        HFSpec("allenai/winogrande", "winogrande_xl", ("validation",)), f.hf_winogrande),
    BenchmarkSpec(
        "boolq", "salad.boolq.v1", "BoolQ yes/no questions on a passage.",
        "boolq.jsonl", f.multiple_choice(ANSWER),
        HFSpec("google/boolq", None, ("validation",)), f.hf_boolq),
    BenchmarkSpec(
        "lambada", "salad.lambada.v1", "LAMBADA (OpenAI): last word, exact greedy match.",
        "lambada_openai.jsonl", f.lambada_local,
        HFSpec("EleutherAI/lambada_openai", "default", ("test",)), f.hf_lambada),
)

LOCAL_FORMATS: dict[str, f.RowParser] = {
    "multiple_choice": f.multiple_choice(),
    "multiple_choice_answer": f.multiple_choice(ANSWER),
    "winogrande": f.winogrande_local,
    "lambada": f.lambada_local,
    "hellaswag_raw": f.hellaswag_raw,
}
