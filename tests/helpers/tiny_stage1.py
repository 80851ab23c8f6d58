"""A tiny Stage I: the session's tiny LM as teacher and student, an MLP adapter, and frames
that carry the text (one random code per character)."""

from __future__ import annotations

import random

import torch

from salad.core.plugin_host import get_host
from salad.speech.model import SpeechLM
from salad.training.config import Stage1Config
from salad.training.data import ExampleBuilder, Utterance, windows
from salad.training.reading import HalfItem, HalvesSet, mismatch_pairs
from salad.training.stage1 import Stage1Trainer

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "log", "big",
         "small", "red", "blue"]


def _corpus(n: int, seed: int) -> list[Utterance]:
    rng = random.Random(seed)
    return [Utterance(f"u{seed}-{i}", " ".join(rng.choice(WORDS) for _ in range(5)),
                      f"d{i // 8}") for i in range(n)]


def _features(utts, dim=16):
    table = {}
    for u in utts:
        # frames that carry the text: one frame per character, a fixed random code per byte
        g = torch.Generator().manual_seed(7)
        codes = torch.randn(256, dim, generator=g)
        table[u.id] = codes[torch.tensor(list(u.text.encode()))]
    return table


def _halves(utts: list[Utterance]) -> tuple[HalvesSet, list[Utterance]]:
    """Held-out halves of ``utts`` in two "voices", and their spoken first halves."""
    items, spoken = [], []
    for u in utts:
        words = u.text.split()
        first, rest = " ".join(words[:2]), " ".join(words[2:])
        for voice in ("v1", "v2"):
            items.append(HalfItem(f"{u.id}#h1@{voice}", u.id, voice, first, rest, len(first)))
            spoken.append(Utterance(f"{u.id}#h1@{voice}", first, "held"))
    return HalvesSet("held", items, mismatch_pairs(items)), spoken


def tiny_trainer(tmp_path, tiny_lm, loss_cfg=None, world=None, device=None, heldout_texts=8,
                 reading_cache=None, **overrides):
    """A Stage I trainer on the tiny LM, an MLP adapter and frames that carry the text; the
    held-out set halves ``heldout_texts`` texts in 2 voices."""
    train = _corpus(48, 1)
    halves, spoken = _halves(_corpus(heldout_texts, 2))
    feats = _features(train + spoken)
    values = dict(train_manifest="-", heldout=[{"name": "held", "speech": "-", "texts": "-"}],
                  steps=8, batch_size=4, warmup_steps=2, eval_every=4, checkpoint_every=2,
                  bf16=False, lr_adapter=3e-3, lr_lm=1e-4)
    cfg = Stage1Config(**{**values, **overrides})
    torch.manual_seed(0)
    teacher = tiny_lm("teacher_lm")
    student = tiny_lm("student_lm", training="full")
    host = get_host()
    adapter = host.registry("adapter").build(
        "salad.mlp_adapter.v1", {"input_dim": 16, "output_dim": student.hidden_size,
                                 "downsample": 2, "hidden_dim": 32})
    model = SpeechLM(adapter, student)
    loss = host.registry("loss").build("salad.distill_mix.v1", loss_cfg or {"alpha": 1.0})
    scorer = host.registry("misalignment_scorer").build("salad.kl_misalignment.v1")
    return Stage1Trainer(cfg, model, teacher, loss, scorer, windows(train, 4), [halves],
                         ExampleBuilder(student), lambda ids: [feats[i] for i in ids], tmp_path,
                         world=world, device=device, reading_cache=reading_cache)
