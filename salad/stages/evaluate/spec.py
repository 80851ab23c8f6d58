"""The ``evaluate`` stage: the run's benchmarks as text, as speech and through ASR."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ...asr.models import PACKAGED_MODELS
from ...core.refs import ChoiceRef, ComponentRef, FileRef, Ref, ShortName
from ...evaluation.config import EvalConfig
from .. import StageDef

BENCHMARK_NAMES = ShortName("salad.", ".v1")      # openbookqa -> salad.openbookqa.v1
TTS_ENGINE_NAMES = ShortName("salad.", "_tts.v1")  # piper -> salad.piper_tts.v1


def eval_refs(cfg: EvalConfig) -> list[Ref]:
    """The benchmarks, voices, recordings and ASR model an evaluation names."""
    refs: list[Ref] = []
    for i, name in enumerate(cfg.benchmarks):
        if name.endswith(".jsonl"):
            refs.append(FileRef(f"benchmarks.{i}", name, "benchmark file"))
        else:
            refs.append(ComponentRef(f"benchmarks.{i}", "benchmark", name, BENCHMARK_NAMES,
                                     config=cfg.benchmark_config, config_loc="benchmark_config"))
    for i, label in enumerate(cfg.voices):
        engine, _, voice = label.partition(":")
        refs.append(ComponentRef(f"voices.{i}", "tts_engine", engine, TTS_ENGINE_NAMES,
                                 voice=voice, what=f"voice {label!r}"))
    refs += [FileRef(f"recordings.{label}", path, f"recordings {label!r}: manifest")
             for label, path in cfg.recordings.items()]
    if "cascade" in cfg.modes:
        refs.append(ChoiceRef("asr_model", cfg.asr_model, tuple(PACKAGED_MODELS),
                              "ASR model", directory_ok=True))
    return refs


class EvaluateStageConfig(EvalConfig):
    model_config = ConfigDict(extra="forbid")
    checkpoint: str = Field("final", description="Stage I checkpoint under stage1/checkpoints/, "
                                                 "or STAGE/NAME under another stage's (e.g. "
                                                 "stage2/final); 'initial': the untrained "
                                                 "student, also used when the run has no Stage I "
                                                 "checkpoints")
    baseline_checkpoint: str | None = Field(
        None, description="Also evaluate this checkpoint (e.g. 'final', Stage I's, when "
                          "`checkpoint` is stage2/final) on the same items into "
                          "eval-<name>/, and put both side by side in the run's report")
    untrained_reference: bool = Field(
        False, description="Also score the untrained student (the recipe's student and adapter "
                           "before training) on speech in the main voice, into eval-initial/, "
                           "and report the reference gaps: untrained (floor), trained, cascade "
                           "(topline) and the share of the distance training closed. Off by "
                           "default: on the miniature's 300 items it costs about 6 minutes on "
                           "2 cores (docs/evaluation.md)")

    def refs(self) -> list[Ref]:
        return eval_refs(self)


EVALUATE = StageDef(
    name="evaluate",
    config=EvaluateStageConfig,
    run="salad.stages.evaluate.run:run",
    summary="Evaluate: the same benchmark items as text, as speech and through ASR; the gap.",
    needs=("encoder", "adapter", "teacher", "student"),
    distributed=True,  # under torchrun every rank scores its share of the items
)
