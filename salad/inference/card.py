"""The model card (``README.md``) of an exported speech LM: what it is, how to use it, and the
run's numbers (held-out misalignment and forgetting, the evaluation's headline and table)."""

from __future__ import annotations

from pathlib import Path


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "n/a"


def _training_lines(summary: dict | None) -> list[str]:
    if not summary:
        return ["No Stage I history: the exported student was not trained by Stage I."]
    first = summary["history"][0]
    return [
        f"Held-out reading metrics of Stage I (nats per token) at step {summary['step']} "
        f"({summary['tokens']} training tokens), against step {first['step']}:",
        "",
        "| metric | start | exported |",
        "| --- | --- | --- |",
        f"| misalignment M | {_num(first['misalignment'])} | {_num(summary['misalignment'])} |",
        f"| forgetting F | {_num(first['forgetting'])} | {_num(summary['forgetting'])} |",
    ]


def _eval_lines(results: Path | None) -> list[str]:
    if results is None:
        return ["The run holds no evaluation of this checkpoint (`salad eval RUN`)."]
    from ..reporting import markdown_summary

    return markdown_summary(results)


def model_card(manifest: dict, training: dict | None, results: Path | None) -> str:
    src, enc, ada = manifest["source"], manifest["encoder"], manifest["adapter"]
    base = manifest["student_source"]
    git = src.get("git") or {}
    lora = {"merge": "LoRA weights merged into `student/`",
            "adapter": "`student/` is the base, `student-lora/` the PEFT LoRA adapter",
            None: "all student weights in `student/`"}[manifest["lora"]]
    lines = [
        "---",
        "library_name: transformers",
        "tags: [salad, speech, spoken-language-understanding]",
        "---",
        "",
        f"# Speech LM from SALAD run `{src['run']}` (checkpoint `{src['checkpoint']}`)",
        "",
        "A text LLM adapted to spoken input with SALAD (arXiv 2510.13632): a frozen speech "
        "encoder, a trained adapter whose outputs the student LM reads between two learned "
        "markers, and the student LM.",
        "",
        "| part | what | files |",
        "| --- | --- | --- |",
        f"| encoder (referenced) | `{enc['name']}` {enc['version']}, config "
        f"`{_inline(enc['config'])}` | rebuilt by its plugin |",
        f"| adapter | `{ada['name']}` {ada['version']} | `adapter/` |",
        f"| student LM | trained from `{base['name']}` (model "
        f"`{Path(str(base['config'].get('model'))).name}`); {lora} "
        "| `student/` (transformers) |",
        "| boundary markers | start and end of each speech span | `markers.safetensors` |",
        f"| teacher (referenced) | `{manifest['teacher']['name']}`, for `salad eval` "
        "(text accuracy, cascade, the gap) | rebuilt by its plugin |",
        "",
        "## Use",
        "",
        "```bash",
        "salad generate THIS_DIR --audio question.wav --text 'Answer:'",
        "```",
        "",
        "```python",
        "from salad.inference import generate, load_exported, prompt_embeddings",
        "from salad.inference.prompt import encode_audio",
        "m = load_exported('THIS_DIR')",
        "(frames,) = encode_audio(m.encoder, ['question.wav'])",
        "ids = generate(m.speech_lm, prompt_embeddings(m.speech_lm, frames, text='Answer:'))",
        "```",
        "",
        "`student/` alone loads with `transformers.AutoModelForCausalLM.from_pretrained` as a "
        "text LM. `salad eval THIS_DIR --benchmarks items.jsonl` scores multiple-choice items "
        "as text, speech and cascade.",
        "",
        "## Training",
        "",
        *_training_lines(training),
        "",
        "## Evaluation",
        "",
        *_eval_lines(results),
        "",
        "## Provenance",
        "",
        f"Run `{src['run']}`, checkpoint `{src['checkpoint']}` (weights `{src['weights']}`), "
        f"salad {git.get('salad_version', 'n/a')}, git revision {git.get('revision', 'n/a')}"
        f"{' (uncommitted changes)' if git.get('dirty') else ''}.",
        "",
    ]
    return "\n".join(lines)


def _inline(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())
