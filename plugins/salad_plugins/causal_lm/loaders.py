"""Factories of the LM records: packaged/local GGUF files (with a dense cache) and transformers
checkpoints by hub id or local path."""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from salad.core.errors import SaladError

from .ports import PACKAGED

_INSTALL_LM = "pip install 'salad-speech[lm]' (transformers, gguf, accelerate, safetensors, peft)"


def _transformers():
    try:
        import transformers
    except ImportError as exc:
        raise SaladError(f"the LM plugins need transformers: {_INSTALL_LM}") from exc
    return transformers


def default_cache_dir() -> Path:
    root = os.environ.get("SALAD_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "salad"
    return base / "lm"


def _wrap(model, tokenizer, config, source: str, bos_id: int | None):
    from .model import CausalLM

    return CausalLM(model, tokenizer, training=config.training, lora=config.lora,
                    bos_id=config.bos_id if config.bos_id is not None else bos_id,
                    dtype=config.dtype, device=config.device, source=source)


# -- GGUF ----------------------------------------------------------------------------------------
def packaged_gguf(name: str, cache_dir: Path | None = None) -> Path:
    """Path of a packaged model's GGUF file (assembling Gemma's chunks into ``cache_dir``)."""
    spec = PACKAGED[name]
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise SaladError(f"salad.gguf_lm.v1: model {name!r} needs the {spec.package} package: "
                         f"{spec.install}")
    if name == "smollm2-135m":
        # Located without importing: the package's __init__ needs llm/llama-cpp (not installed).
        folder = Path(next(iter(found.submodule_search_locations)))
        files = sorted(folder.glob("*.gguf"))
        if not files:
            raise SaladError(f"no .gguf file inside {folder}; reinstall: {spec.install}")
        return files[0]
    package = importlib.import_module(spec.module)
    target = cache_dir / "gguf" / package.MODEL_NAME
    return Path(package.assemble(output_path=target))


def build_gguf_lm(config):
    """Factory of ``salad.gguf_lm.v1``."""
    from .dense_cache import load_gguf_dense

    _transformers()
    cache_dir = Path(config.cache_dir).expanduser() if config.cache_dir else default_cache_dir()
    if config.model in PACKAGED:
        spec = PACKAGED[config.model]
        model, tokenizer = load_gguf_dense(
            lambda: packaged_gguf(config.model, cache_dir), cache_dir,
            name=config.model, identity=_packaged_identity(config.model))
        bos = spec.bos_id
    else:
        path = Path(config.model).expanduser()
        if not path.is_file():
            raise SaladError(f"salad.gguf_lm.v1: model file {path} does not exist")
        model, tokenizer = load_gguf_dense(lambda: path, cache_dir, name=path.stem,
                                           identity=None)
        bos = None
    return _wrap(model, tokenizer, config, f"gguf:{config.model}", bos)


def _packaged_identity(name: str) -> str | None:
    """A cheap identity of a packaged GGUF that needs no assembling (None: hash the file)."""
    if name == "gemma3-270m":
        spec = importlib.util.find_spec(PACKAGED[name].module)
        if spec is None:
            return None
        package = importlib.import_module(PACKAGED[name].module)
        return f"sha256:{package.EXPECTED_SHA256}"
    return None


# -- transformers checkpoints --------------------------------------------------------------------
def build_hf_lm(config):
    """Factory of ``salad.hf_lm.v1``: hub id (network) or local directory."""
    transformers = _transformers()
    source = config.model
    local = Path(source).expanduser()
    kwargs = {"revision": config.revision, "trust_remote_code": config.trust_remote_code}
    if local.exists():
        if not (local / "config.json").is_file():
            raise SaladError(f"salad.hf_lm.v1: {local} is not a transformers checkpoint "
                             "directory (no config.json)")
        source = str(local)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(source, dtype="float32",
                                                                  **kwargs)
    except (OSError, ValueError) as exc:
        raise SaladError(
            f"salad.hf_lm.v1: cannot load {config.model!r}: {exc}\n(a hub id needs network "
            "access; offline, point model at a local directory or use salad.gguf_lm.v1)"
        ) from exc
    if config.lora_adapter:
        model = _merge_lora(model, Path(config.lora_adapter).expanduser())
    return _wrap(model, tokenizer, config, f"hf:{config.model}", None)


def _merge_lora(model, folder: Path):
    """``model`` with the PEFT LoRA adapter in ``folder`` merged into its weights."""
    if not (folder / "adapter_config.json").is_file():
        raise SaladError(f"salad.hf_lm.v1: lora_adapter {folder} is not a PEFT adapter "
                         "directory (no adapter_config.json)")
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise SaladError(f"salad.hf_lm.v1: lora_adapter needs peft: {_INSTALL_LM}") from exc
    return PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
