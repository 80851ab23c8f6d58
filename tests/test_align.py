"""The LM-free align stage's loop: CTC learning, held-out WER and exact resume."""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")

from salad_plugins.ctc_adapter.adapter import CTCAdapter  # noqa: E402
from salad_plugins.ctc_adapter.hooks import CTCAdapterConfig  # noqa: E402

from salad.training.align import AlignTrainer, length_buckets  # noqa: E402
from salad.training.checkpoint import load_adapter  # noqa: E402
from salad.training.config import AlignConfig  # noqa: E402
from salad.training.data import Utterance  # noqa: E402

WORDS = ["ab", "ba", "cab", "bc", "a", "cc"]


def _data(n: int, seed: int):
    rng = random.Random(seed)
    codes = torch.randn(4, 12, generator=torch.Generator().manual_seed(0))
    utts, feats = [], {}
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        utts.append(Utterance(f"u{seed}-{i}", text, "d"))
        feats[utts[-1].id] = torch.cat([codes["abc ".index(c)].repeat(3, 1) for c in text])
    return utts, feats


def _trainer(out_dir, steps=40, device=None):
    torch.manual_seed(0)
    train, f1 = _data(48, 1)
    held, f2 = _data(12, 2)
    feats = {**f1, **f2}
    adapter = CTCAdapter(CTCAdapterConfig(input_dim=12, output_dim=16, width=32, num_layers=1,
                                          num_heads=2, dropout=0.0, alphabet="abc "))
    cfg = AlignConfig(train_manifests=["-"], steps=steps, batch_size=8, lr=3e-3, warmup_steps=4,
                      eval_every=20, checkpoint_every=5, spec_augment=True)
    return AlignTrainer(cfg, adapter, train, {"held": held},
                        {k: v.shape[0] for k, v in feats.items()},
                        lambda ids: [feats[i] for i in ids], out_dir, device=device)


def test_length_buckets_sort_by_length():
    assert length_buckets([5, 1, 3, 2], 2) == [[1, 3], [2, 0]]


def test_alignment_lowers_wer_and_writes_the_adapter(tmp_path):
    trainer = _trainer(tmp_path, steps=120)
    before = trainer.evaluate()["wer/held"]
    summary = trainer.run(progress=False)
    after = summary["history"][-1]["wer/held"]
    assert after < before and after < 0.3
    fresh = CTCAdapter(trainer.adapter.config)
    load_adapter(tmp_path / "adapter.safetensors", fresh)
    for (name, p), q in zip(trainer.adapter.named_parameters(), fresh.parameters()):
        assert torch.equal(p, q), name


def test_killed_and_resumed_alignment_matches_uninterrupted(tmp_path):
    full = _trainer(tmp_path / "a")
    full.run(progress=False)
    _trainer(tmp_path / "b").run(progress=False, stop_after=12)  # checkpoint at step 10
    assert not (tmp_path / "b" / "adapter.safetensors").exists()
    resumed = _trainer(tmp_path / "b")
    resumed.run(progress=False)
    for (name, p), q in zip(full.adapter.named_parameters(), resumed.adapter.parameters()):
        assert torch.allclose(p, q, atol=1e-6), name
    assert [h["wer/held"] for h in resumed.history] == [h["wer/held"] for h in full.history]


def test_the_progress_bar_writes_one_log_line_per_interval_not_per_step(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setenv("SALAD_PROGRESS_INTERVAL", "3600")
    _trainer(tmp_path, steps=12).run(progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if "align (CTC)" in line]
    assert len(lines) <= 1  # not one line per step (a quick loop may write none)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_align_trains_on_cuda(tmp_path):
    from salad.training.device import resolve_device

    trainer = _trainer(tmp_path, steps=10, device=resolve_device("cuda"))
    summary = trainer.run(progress=False)
    assert next(trainer.adapter.parameters()).is_cuda and summary["step"] == 10
