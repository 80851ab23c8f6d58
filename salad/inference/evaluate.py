"""An exported speech LM as the models of an evaluation (``salad eval EXPORT_DIR``): the
export's speech LM and encoder, and the teacher it references. The teacher's score-cache
identity is the run's (its cached scores are reused); the speech LM's names the run's weights
and the export's adapter and markers files."""

from __future__ import annotations

from ..core.errors import SaladError
from .bundle import ADAPTER_WEIGHTS, MARKERS, ExportedModel


def eval_models(exported: ExportedModel, host=None):
    from ..core.plugin_host import get_host
    from ..data.feature_cache import file_hash
    from ..evaluation.run_models import component_id, speech_lm_id
    from ..evaluation.suite import EvalModels

    manifest = exported.manifest
    ref = manifest.get("teacher")
    if ref is None:
        raise SaladError(f"{exported.path}: the export names no teacher (written by an older "
                         "salad export); export the run again to evaluate it")
    host = host or get_host()
    source, adapter = manifest["student_source"], manifest["adapter"]
    weights = "|".join([manifest["source"]["weights"],
                        *(file_hash(exported.path / f)[:16] for f in (ADAPTER_WEIGHTS, MARKERS))])
    return EvalModels(
        teacher=host.registry("teacher_lm").build(ref["name"], ref["config"]),
        teacher_id=component_id(ref["name"], ref["config"]),
        speech_lm=exported.speech_lm,
        student_id=speech_lm_id(component_id(source["name"], source["config"]),
                                component_id(adapter["name"], adapter["config"]), weights),
        encoder=exported.encoder)
