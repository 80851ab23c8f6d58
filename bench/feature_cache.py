"""Frozen-encoder feature cache: cold (encode everything) vs warm (everything cached) precompute of
a speech manifest, and the time to read the cached frames back.

    python bench/feature_cache.py [--encoder salad.whisper_ct2_encoder.v1] [--model base]
                                  [--utterances 24] [--threads N]

Speech is made with Debian espeak-ng (two voices); the cache lives in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from salad import get_host
from salad.data.feature_cache import FeatureCache, ManifestFeatures, precompute_manifest

SENTENCES = [
    "I never said she stole my money.", "Where were you on the night of the party?",
    "The train leaves at seven, so we should hurry.", "Could you pass me the salt, please?",
    "He opened the door and the cat ran out into the rain.",
    "Nobody expected the meeting to last three hours.",
    "We are going to need a bigger boat.", "Turn left at the second light and keep going.",
    "She plays the violin better than anyone I know.", "It's not the heat, it's the humidity.",
    "Let me know when the results come in.", "The library closes early on Sundays.",
]


def make_manifest(folder: Path, n: int) -> Path:
    if not shutil.which("espeak-ng"):
        raise SystemExit("espeak-ng not found (apt-get install espeak-ng)")
    rows = []
    for i in range(n):
        voice = ("en-us", "en-gb")[i % 2]
        wav = folder / f"utt{i:03d}.wav"
        text = SENTENCES[i % len(SENTENCES)]
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(140 + 5 * (i % 5)), "-w", str(wav),
                        text], check=True)
        rows.append(json.dumps({"id": f"utt{i:03d}", "audio": wav.name, "text": text}))
    manifest = folder / "speech.jsonl"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="salad.whisper_ct2_encoder.v1")
    ap.add_argument("--model", default="base", help="model config value of the encoder")
    ap.add_argument("--utterances", type=int, default=24)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    config = {"model": args.model} if args.encoder != "salad.fbank_encoder.v1" else {}
    encoder = get_host().registry("speech_encoder").get(args.encoder).build(config)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = make_manifest(tmp, args.utterances)
        t0 = time.perf_counter()
        cold = precompute_manifest(manifest, encoder, tmp / "cache")
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = precompute_manifest(manifest, encoder, tmp / "cache")
        t_warm = time.perf_counter() - t0
        lookup = ManifestFeatures(FeatureCache(tmp / "cache", encoder.cache_key()), warm.index)
        t0 = time.perf_counter()
        frames = lookup(list(warm.index))
        t_read = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (tmp / "cache").rglob("*.safetensors"))
    n = len(frames)
    print(f"encoder {args.encoder} ({args.model}), {n} utterances, "
          f"{sum(f.shape[0] for f in frames)} frames, cache {size / 1e6:.1f} MB")
    print(f"cold precompute: {t_cold:.2f} s ({cold.summary()})")
    print(f"warm precompute: {t_warm:.3f} s ({warm.summary()})")
    print(f"read all cached frames: {t_read:.3f} s ({1000 * t_read / n:.2f} ms per utterance)")
    print(f"warm/cold speed-up: {t_cold / t_warm:.0f}x; cached read vs encode: "
          f"{t_cold / t_read:.0f}x")


if __name__ == "__main__":
    main()
