"""Stage I trainer on tiny models: learning, metrics, teacher cache and exact resume."""

from __future__ import annotations

import copy
import random

import pytest
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


def _setup(tmp_path, tiny_lm, loss_cfg=None, **overrides):
    train = _corpus(48, 1)
    halves, spoken = _halves(_corpus(8, 2))
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
                         ExampleBuilder(student), lambda ids: [feats[i] for i in ids], tmp_path)


def test_training_lowers_misalignment_and_saves_checkpoints(tmp_path, tiny_lm):
    trainer = _setup(tmp_path, tiny_lm, steps=24, eval_every=12, checkpoint_every=12)
    summary = trainer.run(progress=False)
    history = summary["history"]
    assert [h["step"] for h in history] == [0, 12, 24]
    assert history[-1]["misalignment"] < history[0]["misalignment"]
    assert history[0]["forgetting"] == pytest.approx(0.0, abs=1e-6)  # student starts = teacher
    assert (tmp_path / "checkpoints" / "pre-decay" / "model.safetensors").exists()
    assert (tmp_path / "checkpoints" / "final" / "trainer.json").exists()
    assert (tmp_path / "teacher_topk.safetensors").exists()


def test_killed_and_resumed_run_matches_uninterrupted(tmp_path, tiny_lm):
    full = _setup(tmp_path / "a", tiny_lm)
    full_summary = full.run(progress=False)
    part = _setup(tmp_path / "b", tiny_lm)
    part.run(stop_after=3, progress=False)  # "killed" after 3 steps (checkpoint at step 2)
    resumed = _setup(tmp_path / "b", tiny_lm)
    resumed_summary = resumed.run(progress=False)
    assert resumed_summary["step"] == full_summary["step"] == 8
    a = dict(full.model.named_parameters())
    for name, p in resumed.model.named_parameters():
        assert torch.allclose(p, a[name], atol=1e-6), name
    h_full = [h["misalignment"] for h in full_summary["history"]]
    h_res = [h["misalignment"] for h in resumed_summary["history"]]
    assert h_res == pytest.approx(h_full, abs=1e-6)


def test_dense_teacher_matches_topk_cache_direction(tmp_path, tiny_lm):
    dense = _setup(tmp_path / "dense", tiny_lm, teacher_topk=0)
    topk = _setup(tmp_path / "topk", tiny_lm, teacher_topk=64)
    for t in (dense, topk):
        t.run(progress=False)
    assert not (tmp_path / "dense" / "teacher_topk.safetensors").exists()
    md = dense.history[-1]["misalignment"]
    mt = topk.history[-1]["misalignment"]
    assert md < dense.history[0]["misalignment"] and mt < topk.history[0]["misalignment"]


def test_nll_only_needs_no_teacher(tmp_path, tiny_lm):
    trainer = _setup(tmp_path, tiny_lm, loss_cfg={"alpha": 0.0})
    assert not trainer.loss.needs_teacher
    trainer.run(progress=False)
    assert not (tmp_path / "teacher_topk.safetensors").exists()
    assert copy.deepcopy(trainer.history[-1])["forgetting"] > 0
