"""Factories for the Whisper encoder components (heavy imports live here, not in hooks)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from salad import SaladError

from .ct2_convert import load_ct2_encoder_weights
from .encoder import WhisperSpeechEncoder, build_whisper_encoder


def _common(config) -> dict:
    return {"context_seconds": config.context_seconds, "layer": config.layer,
            "long_audio": config.long_audio, "batch_size": config.batch_size,
            "dtype": config.dtype, "overlap_seconds": config.overlap_seconds}


def build_ct2(config) -> WhisperSpeechEncoder:
    """The packaged CTranslate2 Whisper model converted to a ``transformers`` encoder."""
    cache_dir = Path(config.cache_dir).expanduser() if config.cache_dir else None
    w = load_ct2_encoder_weights(config.model, cache_dir)
    encoder = build_whisper_encoder(w.state_dict, n_heads=w.n_heads, ffn_dim=w.ffn_dim,
                                    n_layers=w.n_layers, d_model=w.d_model, n_mels=w.n_mels,
                                    max_positions=w.max_positions)
    return WhisperSpeechEncoder(encoder, n_mels=w.n_mels, identity=f"ct2:{w.source_sha256}",
                                **_common(config))


def _weights_digest(module) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().contiguous().numpy().tobytes())
    return h.hexdigest()


def build_hf(config) -> WhisperSpeechEncoder:
    """A Whisper encoder from a Hugging Face id or a local ``save_pretrained`` directory."""
    try:
        from transformers import WhisperModel
    except ImportError as exc:
        raise SaladError("salad.hf_whisper_encoder.v1 needs transformers: "
                         "pip install transformers safetensors") from exc
    kwargs = {"revision": config.revision} if config.revision else {}
    try:
        model = WhisperModel.from_pretrained(config.model, attn_implementation="sdpa", **kwargs)
    except OSError as exc:
        raise SaladError(f"cannot load Whisper model {config.model!r}: {exc}") from exc
    encoder = model.get_encoder()
    n_mels = int(encoder.config.num_mel_bins)
    return WhisperSpeechEncoder(encoder, n_mels=n_mels, identity=f"hf:{_weights_digest(encoder)}",
                                **_common(config))
