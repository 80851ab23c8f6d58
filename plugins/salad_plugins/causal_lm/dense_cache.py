"""Dense safetensors cache of GGUF models.

Loading a GGUF into transformers dequantises every tensor (about 16 s for SmolLM2-135M) and the
result refuses ``save_pretrained``. The first load copies the state dict into a model built from
the config (without the GGUF quantization entry) and saves weights, config and tokenizer into
``<cache_dir>/dense/<name>-<key>/`` atomically (written in a temp dir, then renamed). Later loads
read that directory with ``from_pretrained`` in well under a second.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from salad.data.files import atomic_path

FORMAT = "salad-dense-gguf-v1"
_DONE = "salad_dense.json"


def file_identity(path: Path, chunk: int = 1 << 20) -> str:
    """Cheap identity of a large file: its size plus hashes of its first and last MiB."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(chunk))
        fh.seek(max(0, size - chunk))
        digest.update(fh.read(chunk))
    return "head-tail:" + digest.hexdigest()


def cache_entry(cache_dir: Path, name: str, identity: str) -> Path:
    key = hashlib.sha256(f"{FORMAT}|{identity}".encode()).hexdigest()[:16]
    return cache_dir / "dense" / f"{name}-{key}"


def load_gguf_dense(locate: Callable[[], Path], cache_dir: Path, *, name: str,
                    identity: str | None):
    """Return ``(model, tokenizer)`` in float32, from the dense cache when it holds the model.

    ``locate`` returns the GGUF path (it may assemble the file, so it runs only when needed);
    ``identity`` names the GGUF content without reading it (None: derived from the file).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = None
    if identity is None:
        gguf_path = Path(locate())
        identity = file_identity(gguf_path)
    entry = cache_entry(cache_dir, name, identity)
    if (entry / _DONE).is_file():
        model = AutoModelForCausalLM.from_pretrained(entry, dtype="float32")
        tokenizer = AutoTokenizer.from_pretrained(entry)
        return model, tokenizer

    gguf_path = gguf_path or Path(locate())
    folder, file = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file, dtype="float32")
    model = dense_copy(loaded)
    del loaded
    save_entry(model, tokenizer, entry, {"format": FORMAT, "source": str(gguf_path),
                                         "identity": identity, "created": time.time()})
    return model, tokenizer


def dense_copy(loaded):
    """A plain (savable) model with the same weights as a GGUF-loaded one."""
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=loaded.dtype)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    tied = set(getattr(model, "_tied_weights_keys", None) or [])
    if unexpected or set(missing) - tied:
        raise RuntimeError(f"dense copy mismatch: missing={missing} unexpected={unexpected}")
    model.tie_weights()
    return model.eval()


def save_entry(model, tokenizer, entry: Path, meta: dict) -> None:
    """Write ``entry`` atomically (concurrent writers write the same content; the last wins)."""
    with atomic_path(entry, directory=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / _DONE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
