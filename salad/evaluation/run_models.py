"""Models of a run for evaluation: the recipe's teacher, and its student, adapter and markers
with a Stage I checkpoint loaded; plus the run's training summary."""

from __future__ import annotations

import json
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.launch import env_world

from .suite import EvalModels

ALIGNED = "adapter.safetensors"  # what the align stage leaves in RUN/align


def resolve_target(target: str | Path, checkpoint: str = "final") -> tuple[Path, Path | None]:
    """``(run_dir, checkpoint_dir)`` for a run directory or a checkpoint directory.

    ``checkpoint`` names a checkpoint under ``stage1/checkpoints/`` (``final``) or, with a
    stage prefix, under another training stage's (``stage2/final``).
    ``checkpoint="initial"`` asks for the recipe's untrained student (checkpoint None), as does
    a run that has no Stage I checkpoints at all; ``"aligned"`` for the untrained student with
    the align stage's adapter (``RUN/align``); a missing named checkpoint is an error."""
    path = Path(target)
    if (path / "model.safetensors").is_file():
        for parent in path.parents:
            if (parent / "recipe.yaml").is_file():
                return parent, path
        raise SaladError(f"{path}: a checkpoint outside a run directory (no recipe.yaml above)")
    if not (path / "recipe.yaml").is_file():
        raise SaladError(f"{path}: neither a run directory (recipe.yaml) nor a checkpoint "
                         "(model.safetensors)")
    stage, _, name = checkpoint.rpartition("/")
    root = path / (stage or "stage1") / "checkpoints"
    if checkpoint == "initial":
        return path, None
    if checkpoint == "aligned":
        if not (path / "align" / ALIGNED).is_file():
            raise SaladError(f"{path}: no align/{ALIGNED} (the run has no align stage)")
        return path, path / "align"
    if (root / name / "model.safetensors").is_file():
        return path, root / name
    found = sorted(p.name for p in root.glob("*") if (p / "model.safetensors").is_file())
    if not found and not stage:
        return path, None
    raise SaladError(f"{path}: no checkpoint {checkpoint!r} (found: {', '.join(found) or 'none'}; "
                     "or 'initial' for the untrained student, 'aligned' for it with the "
                     "aligned adapter)")


def component_id(name: str, config: dict) -> str:
    """A component's identity in score-cache keys: registry name and config."""
    return name + json.dumps(config, sort_keys=True)


def speech_lm_id(student: str, adapter: str, weights: str) -> str:
    """The speech LM's identity in score-cache keys: the student's and the adapter's
    :func:`component_id` (the adapter's config holds settings that change what the LM reads
    from the same weights, such as a CTC adapter's decoding) and the weights."""
    return f"{student}|adapter={adapter}|weights={weights}"


def slot_id(validated, slot: str) -> str:
    """The :func:`component_id` of the component in a recipe slot."""
    comp = validated.component(slot)
    return component_id(comp.record.name, comp.config.model_dump(mode="json"))


def load_speech_lm(validated, checkpoint: Path | None):
    """The recipe's student, adapter and markers as a :class:`~salad.speech.model.SpeechLM` in
    eval mode on the recipe's device, with ``checkpoint`` loaded (a Stage I checkpoint, or the
    align stage's folder); returns ``(model, weights id)``. Without a checkpoint the student is
    the recipe's initial one, its random parts drawn under the recipe's seed (the same draw
    every time)."""
    import torch

    from salad.data.feature_cache import file_hash
    from salad.speech.model import SpeechLM
    from salad.training.checkpoint import load_adapter, load_weights
    from salad.training.device import resolve_device

    seed = validated.recipe.seed
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        student = validated.build("student")  # before the adapter, as in training
        model = SpeechLM(validated.build("adapter"), student)
    weights = f"initial-seed{seed}"
    if checkpoint is not None and (checkpoint / ALIGNED).is_file():
        load_adapter(checkpoint / ALIGNED, model.adapter)
        weights = "aligned:" + file_hash(checkpoint / ALIGNED)
    elif checkpoint is not None:
        load_weights(checkpoint, model)
        weights = file_hash(checkpoint / "model.safetensors")
    model.to(resolve_device(validated.recipe.device, env_world().local_rank)).eval()
    return model, weights


def load_models(validated, checkpoint: Path | None, speech: bool = True) -> EvalModels:
    """Build the teacher, and (``speech``) the encoder and the speech LM with ``checkpoint``
    loaded (:func:`load_speech_lm`), the LMs and the adapter on the recipe's device."""
    from salad.training.device import resolve_device

    teacher = validated.build("teacher")
    model, weights = load_speech_lm(validated, checkpoint)
    device = resolve_device(validated.recipe.device, env_world().local_rank)
    if device.type != "cpu":  # LMs start on the CPU
        teacher.to(device)
    return EvalModels(teacher=teacher, teacher_id=slot_id(validated, "teacher"),
                      speech_lm=model, student_id=_student_id(validated, weights),
                      encoder=validated.build("encoder") if speech else None)


def swap_speech_lm(validated, models: EvalModels, checkpoint: Path | None = None
                     ) -> EvalModels:
    """``models`` with the recipe's untrained student and adapter (or those of ``checkpoint``)
    in place of the speech LM (teacher and encoder shared)."""
    model, weights = load_speech_lm(validated, checkpoint)
    return EvalModels(teacher=models.teacher, teacher_id=models.teacher_id, speech_lm=model,
                      student_id=_student_id(validated, weights), encoder=models.encoder)


def _student_id(validated, weights: str) -> str:
    return speech_lm_id(slot_id(validated, "student"), slot_id(validated, "adapter"), weights)


def training_summary(run_dir: Path, checkpoint: Path | None = None) -> dict | None:
    """Held-out misalignment and forgetting at the evaluated checkpoint (the step-0 values for
    the untrained student), with the history up to it (of the stage that wrote it)."""
    stage = (Path(checkpoint).parent.parent if checkpoint is not None
             and Path(checkpoint).parent.name == "checkpoints" else Path(run_dir) / "stage1")
    path = stage / "history.json"
    if not path.is_file():
        return None
    history = json.loads(path.read_text(encoding="utf-8")).get("history") or []
    step = 0
    if checkpoint is not None and (Path(checkpoint) / "trainer.json").is_file():
        state = json.loads((Path(checkpoint) / "trainer.json").read_text(encoding="utf-8"))
        step = int(state["step"])
    history = [h for h in history if h["step"] <= step]
    if not history:
        return None
    last = history[-1]
    return {"misalignment": last["misalignment"], "forgetting": last["forgetting"],
            "tokens": last["tokens"], "step": last["step"], "history": history}


def evaluate_run(models: EvalModels, cfg, run_dir: Path, checkpoint: Path | None,
                 out_dir: Path, label: str | None = None, log=print) -> dict:
    """Evaluate a run's models into ``out_dir`` and write its report there; the results
    (schema ``salad.eval.v1``) gain ``lines``: the Markdown summary table. Under ``torchrun``
    every rank scores its share and rank 0 merges and writes the report."""
    from salad.reporting import markdown_summary, write_report

    from .suite import Evaluation

    label = label or Path(run_dir).name
    meta = {"run_dir": str(run_dir), "checkpoint": str(checkpoint) if checkpoint else None,
            "training": training_summary(run_dir, checkpoint)}
    world = env_world()
    results = Evaluation(models, cfg, out_dir, log=log if world.main else lambda *a: None,
                         world=world).run(label, meta)
    if world.main:
        write_report([Path(out_dir) / "results.json"], out_dir)  # items.jsonl beside
    return {**results, "lines": markdown_summary(results)}
