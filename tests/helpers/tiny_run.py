"""Tiny runs for end-to-end tests: tone "speech" manifests and a recipe's components built
from the fbank encoder, an MLP adapter and the session's tiny HF LM."""

from __future__ import annotations

import json

import numpy as np

from salad.data.audio import write_audio

WORDS = ["yes", "no", "maybe", "hello", "world", "speech", "text", "cat", "dog", "mat"]


def tone_manifest(folder, name, n, seed):
    """``n`` tone utterances with random word transcripts, plus one row whose audio is
    missing (to be skipped and reported)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS, 4))
        t = np.arange(int(16000 * rng.uniform(0.5, 1.0))) / 16000
        audio = (0.2 * np.sin(2 * np.pi * (150 + 40 * i) * t)).astype(np.float32)
        path = write_audio(folder / f"{name}{i}.wav", audio, 16000)
        rows.append({"id": f"{name}{i}", "audio": str(path), "text": text,
                     "duration": len(t) / 16000, "domains": ["d"]})
    rows.append({"id": "broken", "audio": str(folder / "missing.wav"), "text": "lost",
                 "duration": 1.0, "domains": ["d"]})
    out = folder / f"{name}.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


def halves_manifests(folder, n, seed, voices=("v1", "v2")):
    """Held-out halves: a text manifest of ``n`` 8-word texts, and a speech manifest of their
    first halves (tones) in each of ``voices``; returns ``(speech, texts)``."""
    rng = np.random.default_rng(seed)
    texts, rows = [], []
    for i in range(n):
        words = list(rng.choice(WORDS, 8))
        texts.append({"id": f"t{seed}-{i}", "text": " ".join(words), "source": "tiny",
                      "domains": ["d"]})
        for v, voice in enumerate(voices):
            t = np.arange(int(16000 * rng.uniform(0.4, 0.8))) / 16000
            audio = (0.2 * np.sin(2 * np.pi * (200 + 30 * i + 7 * v) * t)).astype(np.float32)
            path = write_audio(folder / f"h{seed}-{i}-{voice}.wav", audio, 16000)
            rows.append({"id": f"h{seed}-{i}@{voice}", "audio": str(path),
                         "text": " ".join(words[:4]), "text_id": f"t{seed}-{i}#h1",
                         "speaker": voice, "duration": len(t) / 16000, "domains": ["d"]})
    speech, text = folder / f"halves{seed}.jsonl", folder / f"texts{seed}.jsonl"
    speech.write_text("".join(json.dumps(r) + "\n" for r in rows))
    text.write_text("".join(json.dumps(r) + "\n" for r in texts))
    return speech, text


def stage1_recipe(tmp_path, tiny_lm_dir, name: str, train, halves, steps: int) -> dict:
    """A recipe of one tiny stage1 stage (evaluation and checkpoints every 2 steps);
    ``halves`` is :func:`halves_manifests` output."""
    speech, texts = halves
    return {
        "name": name, "output_dir": str(tmp_path / "runs"),
        "components": tiny_components(tiny_lm_dir),
        "stages": [{"name": "stage1", "config": {
            "train_manifest": str(train), "steps": steps,
            "heldout": [{"name": "held", "speech": str(speech), "texts": str(texts)}],
            "batch_size": 2, "eval_every": 2, "checkpoint_every": 2,
            "feature_cache": str(tmp_path / "features")}}],
    }


def tiny_components(tiny_lm_dir) -> dict:
    lm = {"name": "salad.hf_lm.v1", "config": {"model": str(tiny_lm_dir)}}
    return {
        "encoder": {"name": "salad.fbank_encoder.v1", "config": {"n_mels": 40}},
        "adapter": {"name": "salad.mlp_adapter.v1",
                    "config": {"input_dim": 40, "output_dim": 64, "hidden_dim": 64}},
        "teacher": lm,
        "student": {**lm, "config": {**lm["config"], "training": "full"}},
        "loss": {"name": "salad.distill_mix.v1"},
        "scorer": {"name": "salad.kl_misalignment.v1"}}
