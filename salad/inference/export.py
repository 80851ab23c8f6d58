"""``salad export``: a run's speech LM (a Stage I checkpoint, the aligned adapter or the
untrained student) written in Hugging Face layout (:mod:`salad.inference.bundle`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from ..core.errors import SaladError
from ..data.files import atomic_path
from .bundle import (
    ADAPTER_CONFIG,
    ADAPTER_WEIGHTS,
    FORMAT,
    MANIFEST,
    MARKERS,
    STUDENT,
    STUDENT_LORA,
    bundle_adapter_texts,
    load_exported,
)
from .card import model_card
from .prompt import encode_audio, prompt_embeddings, prompt_logits

LoraMode = Literal["merge", "adapter"]
VERIFY_TEXT = "Answer:"  # text after the speech in verification prompts


def _ref(component) -> dict:
    return {"name": component.record.name, "version": component.record.version,
            "config": component.config.model_dump(mode="json")}


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MANIFEST).is_file())):
        raise SaladError(f"{out} exists and is not an exported speech LM; choose a new or "
                         "empty folder (an earlier export there is replaced)")


def _save_student(student, folder: Path, lora: LoraMode) -> str | None:
    """Write the student with ``save_pretrained``; returns the LoRA handling (None: no LoRA)."""
    module, tokenizer = getattr(student, "module", None), getattr(student, "tokenizer", None)
    if not hasattr(module, "save_pretrained") or not hasattr(tokenizer, "save_pretrained"):
        raise SaladError(f"the student {student!r} is not a transformers model with a "
                         "tokenizer, so it has no Hugging Face layout to export")
    mode = None
    if getattr(student, "training", None) == "lora":
        if lora == "adapter":
            module.save_pretrained(folder / STUDENT_LORA)  # PEFT: the LoRA weights only
            module = module.unload()                        # the base, LoRA layers removed
        else:
            module = module.merge_and_unload()
        mode = lora
    module.save_pretrained(folder / STUDENT, safe_serialization=True)
    tokenizer.save_pretrained(folder / STUDENT)
    return mode


def export_run(target: str | Path, out: str | Path, checkpoint: str = "final",
               lora: LoraMode = "merge", verify: Sequence[str | Path] = (),
               log=print) -> tuple[Path, float | None]:
    """Export a run's speech LM to ``out`` (written in a temporary folder, then renamed).

    With ``verify`` audio files, the export is loaded back and both models score BOS + each
    file's speech + ``VERIFY_TEXT``; returns ``(out, the largest absolute logit difference)``
    (None without ``verify``)."""
    from safetensors.torch import save_file

    from ..evaluation.run_models import load_speech_lm, resolve_target, training_summary
    from ..recipe import validate_recipe
    from ..runner import git_revision
    from ..training.checkpoint import save_adapter

    out = Path(out)
    _check_target(out)
    run_dir, ckpt = resolve_target(target, checkpoint)
    validated = validate_recipe(run_dir / "recipe.yaml")
    name = ckpt.name if ckpt is not None else "initial"
    log(f"export {run_dir} (checkpoint {name}) -> {out}")
    model, weights = load_speech_lm(validated, ckpt)
    # before writing: saving a LoRA student as an adapter unloads its LoRA layers
    reference = _logits(model, validated.build("encoder"), verify) if verify else None
    env_file = run_dir / "environment.json"
    env = json.loads(env_file.read_text(encoding="utf-8")) if env_file.is_file() else {}
    manifest = {
        "format": FORMAT,
        "sample_rate": validated.recipe.sample_rate,
        "encoder": _ref(validated.component("encoder")),
        "adapter": _ref(validated.component("adapter")),
        "student": {"dtype": str(model.student.dtype).removeprefix("torch."),
                    "bos_id": model.student.bos_id},
        "student_source": _ref(validated.component("student")),
        "teacher": _ref(validated.component("teacher")),  # for salad eval on the export
        "lora": None,
        "source": {"run": run_dir.name, "checkpoint": name, "weights": weights,
                   "git": env.get("git") or git_revision()},
    }
    with atomic_path(out, directory=True) as tmp:
        manifest["adapter"] = bundle_adapter_texts(manifest["adapter"], tmp)
        manifest["lora"] = _save_student(model.student, tmp, lora)
        save_adapter(tmp / ADAPTER_WEIGHTS, model.adapter)
        (tmp / ADAPTER_CONFIG).write_text(json.dumps(manifest["adapter"], indent=2) + "\n",
                                          encoding="utf-8")
        save_file({"markers": model.markers.detach().float().contiguous()}, str(tmp / MARKERS))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        card = model_card(manifest, training_summary(run_dir, ckpt), _eval_results(run_dir, name))
        (tmp / "README.md").write_text(card, encoding="utf-8")
        for file in tmp.rglob("*"):  # safetensors writes owner-only files; share them all
            file.chmod(0o755 if file.is_dir() else 0o644)
    log(f"wrote {out} (student {STUDENT}/, adapter, markers, model card README.md)")
    if reference is None:
        return out, None
    exported = load_exported(out)
    after = _logits(exported.speech_lm, exported.encoder, verify)
    diff = max(float((a - b).abs().max()) for a, b in zip(reference, after, strict=True))
    log(f"verified: {out} loaded back; largest |logit difference| over {len(verify)} spoken "
        f"prompts ({sum(len(r) for r in reference)} positions) = {diff:.3g}")
    return out, diff


def _logits(speech_lm, encoder, audio: Sequence[str | Path]) -> list:
    """``(L, V)`` logits of BOS + speech + ``VERIFY_TEXT`` for each audio file."""
    return [prompt_logits(speech_lm, prompt_embeddings(speech_lm, f, text=VERIFY_TEXT))
            for f in encode_audio(encoder, audio)]


def _eval_results(run_dir: Path, checkpoint: str) -> Path | None:
    """The run's ``salad eval`` results for the exported checkpoint, if it was evaluated."""
    folder = run_dir / ("eval" if checkpoint == "final" else f"eval-{checkpoint}")
    return folder / "results.json" if (folder / "results.json").is_file() else None
