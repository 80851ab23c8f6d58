"""Content-addressed audio cache shared by every stage that synthesizes speech.

The key hashes everything that changes the audio: engine name and config, voice, the engine's
``engine_version()``, the text, the output rate and the augmentation with its seed. Files are
written atomically (``salad.data.audio.write_audio``), so a file that exists is complete.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


def cache_key(*, engine: str, engine_config: dict[str, Any], voice: str, engine_version: str,
              text: str, sample_rate: int, augment: dict[str, Any] | None,
              augment_seed: int | None) -> str:
    payload = {
        "format": CACHE_FORMAT, "engine": engine, "engine_config": engine_config,
        "voice": voice, "engine_version": engine_version, "text": text,
        "sample_rate": sample_rate, "augment": augment,
        "augment_seed": augment_seed if augment else None,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def stable_seed(*parts: object) -> int:
    """A 31-bit seed from the given parts (same parts, same seed, in every process)."""
    blob = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big") % (2**31 - 1)


class AudioCache:
    def __init__(self, root: str | Path, suffix: str = "flac"):
        self.root = Path(root)
        self.suffix = suffix

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.{self.suffix}"

    def get(self, key: str) -> Path | None:
        p = self.path(key)
        return p if p.is_file() else None
