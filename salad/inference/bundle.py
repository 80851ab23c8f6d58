"""The layout of an exported speech LM and its loader.

```
DIR/salad_speech_lm.json   format, component references (registry name, version, config), source
DIR/student/               the student LM: transformers save_pretrained (weights + tokenizer)
DIR/student-lora/          only with --lora adapter: the PEFT adapter; student/ is the base
DIR/adapter/config.json    the adapter's registry name and config
DIR/adapter/model.safetensors
DIR/markers.safetensors    the learned start/end markers around each speech span
DIR/README.md              the model card
```

The frozen encoder is referenced, not copied: its plugin rebuilds it from name and config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import SaladError

FORMAT = "salad-speech-lm-v1"
MANIFEST = "salad_speech_lm.json"
STUDENT, STUDENT_LORA = "student", "student-lora"
ADAPTER_CONFIG, ADAPTER_WEIGHTS = "adapter/config.json", "adapter/model.safetensors"
MARKERS = "markers.safetensors"
ADAPTER_TEXTS = "adapter/texts"  # text files the adapter reads (its config's `texts`)
STUDENT_RECORD = "salad.hf_lm.v1"  # reads student/ back


@dataclass
class ExportedModel:
    """A loaded export: the speech LM (adapter, markers, student; eval mode), the encoder that
    feeds it, and the export's manifest."""

    path: Path
    speech_lm: Any     # salad.speech.model.SpeechLM
    encoder: Any       # a speech encoder
    manifest: dict


def read_manifest(path: Path) -> dict:
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise SaladError(f"{path}: not an exported speech LM (no {MANIFEST}; write one with "
                         "salad export RUN --out DIR)")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SaladError(f"{file}: not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise SaladError(f"{file}: format {manifest.get('format')!r}, this salad reads {FORMAT}")
    return manifest


def student_config(path: Path, manifest: dict) -> dict:
    """The ``salad.hf_lm.v1`` config that loads ``DIR/student`` (and its LoRA adapter)."""
    cfg = {"model": str(Path(path) / STUDENT), "training": "frozen", **manifest["student"]}
    if manifest.get("lora") == "adapter":
        cfg["lora_adapter"] = str(Path(path) / STUDENT_LORA)
    return cfg


def bundle_adapter_texts(ref: dict, folder: Path) -> dict:
    """Copy the files of the adapter config's ``texts`` (e.g. the CTC adapter's lexicon and
    character-LM texts) into ``folder``; returns the reference with paths relative to it."""
    import shutil

    texts = ref["config"].get("texts")
    if not texts:
        return ref
    (folder / ADAPTER_TEXTS).mkdir(parents=True, exist_ok=True)
    inside = []
    for i, source in enumerate(texts):
        if not Path(source).is_file():
            raise SaladError(f"the adapter reads {source}, which does not exist; run the "
                             "export where the run's data is")
        inside.append(f"{ADAPTER_TEXTS}/{i}-{Path(source).name}")
        shutil.copyfile(source, folder / inside[-1])
    return {**ref, "config": {**ref["config"], "texts": inside}}


def _adapter_ref(path: Path, ref: dict) -> dict:
    """The exported adapter reference with its ``texts`` resolved against the export."""
    texts = ref["config"].get("texts")
    if not texts:
        return ref
    return {**ref, "config": {**ref["config"], "texts": [str(path / t) for t in texts]}}


def load_exported(path: str | Path, host=None) -> ExportedModel:
    """Rebuild an exported speech LM through the plugin registries (no run directory needed)."""
    from safetensors.torch import load_file

    from ..core.plugin_host import get_host
    from ..speech.model import SpeechLM
    from ..training.checkpoint import load_adapter

    path = Path(path)
    manifest = read_manifest(path)
    host = host or get_host()

    def build(kind: str, ref: dict) -> Any:
        try:
            return host.registry(kind).build(ref["name"], ref["config"])
        except SaladError:
            raise
        except (ValueError, OSError, ImportError) as exc:  # name the component it came from
            raise SaladError(f"{path}: cannot build {kind} {ref['name']}: {exc}") from exc

    student = build("student_lm", {"name": STUDENT_RECORD,
                                   "config": student_config(path, manifest)})
    model = SpeechLM(build("adapter", _adapter_ref(path, manifest["adapter"])), student)
    load_adapter(path / ADAPTER_WEIGHTS, model.adapter)
    markers = load_file(str(path / MARKERS))["markers"]
    if markers.shape != model.markers.shape:
        raise SaladError(f"{path / MARKERS}: markers of shape {tuple(markers.shape)}, the "
                         f"student needs {tuple(model.markers.shape)}")
    model.markers.data.copy_(markers)
    model.eval()
    return ExportedModel(path, model, build("speech_encoder", manifest["encoder"]), manifest)
