"""Stage I trainer on tiny models: learning, metrics, teacher cache and exact resume."""

from __future__ import annotations

import copy

import pytest
import torch

from .helpers.tiny_stage1 import tiny_trainer


def _setup(tmp_path, tiny_lm, loss_cfg=None, **overrides):
    return tiny_trainer(tmp_path, tiny_lm, loss_cfg, **overrides)


def test_training_lowers_misalignment_and_saves_checkpoints(tmp_path, tiny_lm):
    trainer = _setup(tmp_path, tiny_lm, steps=24, eval_every=12, checkpoint_every=12)
    summary = trainer.run(progress=False)
    history = summary["history"]
    assert [h["step"] for h in history] == [0, 12, 19, 24]  # 19: the pre-decay weights
    assert history[-1]["misalignment"] < history[0]["misalignment"]
    assert history[0]["forgetting"] == pytest.approx(0.0, abs=1e-6)  # student starts = teacher
    assert (tmp_path / "checkpoints" / "pre-decay" / "model.safetensors").exists()
    assert (tmp_path / "checkpoints" / "final" / "trainer.json").exists()
    assert (tmp_path / "teacher_topk.safetensors").exists()


def test_pre_decay_and_final_metrics_are_kept_for_the_stages_that_show_them(tmp_path, tiny_lm,
                                                                            monkeypatch):
    from salad.data.feature_cache import file_hash
    from salad.training import reading_cache as cache_module
    from salad.training.reading_cache import ReadingCache
    from salad.training.stage1 import heldout_row

    cache = ReadingCache(tmp_path / "reading", {"any": "components"})
    trainer = _setup(tmp_path, tiny_lm, reading_cache=cache, steps=10, eval_every=10)
    history = trainer.run(progress=False)["history"]
    assert [h["step"] for h in history] == [0, 8, 10]
    (held,) = trainer.held
    measured = []
    monkeypatch.setattr(cache_module, "reading_metrics",
                        lambda *a, **k: measured.append(1) or {"positions": 0})
    for name, row in (("pre-decay", history[1]), ("final", history[2])):
        weights = file_hash(tmp_path / "checkpoints" / name / "model.safetensors")
        sets = cache.measure(weights, trainer.model, trainer.teacher, trainer.scorer,
                             trainer.held, trainer.features)
        assert heldout_row(sets) == {k: v for k, v in row.items()
                                     if k not in ("step", "tokens")}
    assert not measured  # read, not measured again
    other = ReadingCache(tmp_path / "reading", {"other": "components"})
    other.measure(weights, trainer.model, trainer.teacher, trainer.scorer, trainer.held,
                  trainer.features)
    assert measured == [1] and other.get(weights, held) == {"positions": 0}


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


def test_activation_checkpointing_trains_the_same(tmp_path, tiny_lm):
    plain = _setup(tmp_path / "plain", tiny_lm, steps=4, eval_every=4)
    recomputed = _setup(tmp_path / "ckpt", tiny_lm, steps=4, eval_every=4,
                        activation_checkpointing=True)
    assert any(getattr(m, "gradient_checkpointing", False) for m in recomputed.model.lm.modules())
    a, b = (t.run(progress=False)["history"] for t in (plain, recomputed))
    assert [h["misalignment"] for h in b] == pytest.approx([h["misalignment"] for h in a],
                                                           abs=1e-6)


def test_batch_tokens_draws_whole_rounds_until_enough_positions():
    from salad.training.stage1 import draw_step

    drawn = iter(range(1000))

    def take(n):
        return [next(drawn) for _ in range(n)]

    count = len  # one position per window here
    groups, positions = draw_step(take, count, 2, 3, None)  # today's step: one round
    assert groups == [[0, 1], [2, 3], [4, 5]] and positions is None
    groups, positions = draw_step(take, count, 2, 3, 13)  # rounds of 6: 6, 12, 18 >= 13
    assert len(groups) == 9 and groups[0] == [6, 7] and positions == 18
    groups, positions = draw_step(take, count, 2, 3, 12)  # exactly enough after 2 rounds
    assert len(groups) == 6 and positions == 12


def test_batch_tokens_counts_the_positions_the_step_trains_on(tmp_path, tiny_lm):
    """The positions counted before the forward are those of the batches (the trainer checks
    it every step); steps take 2 or 3 rounds of 8 windows (about 410 positions each)."""
    trainer = _setup(tmp_path, tiny_lm, steps=3, grad_accum=2, batch_tokens=820)
    rows = []
    trainer.log = lambda step=None, split="", **kw: rows.append(kw) if split == "train" else None
    trainer.run(progress=False)
    assert {r["micro_batches"] for r in rows} == {4, 6}
    assert all(r["positions"] >= 820 for r in rows)
    one_round = _setup(tmp_path / "b", tiny_lm, steps=1, grad_accum=2, batch_tokens=1)
    assert one_round.train_step()["micro_batches"] == 2  # never less than one round


def test_batch_tokens_needs_an_adapter_with_a_fixed_downsample():
    from salad.stages.stage1.spec import Stage1StageConfig, check

    cfg = Stage1StageConfig(train_manifest="t.jsonl", batch_tokens=4096,
                            heldout=[{"name": "h", "speech": "s.jsonl", "texts": "t.jsonl"}])
    (problem,) = check(cfg, {"adapter": {"downsample": None}, "loss": {}})
    assert problem.loc == "batch_tokens" and "downsample is null" in problem.message
    assert not list(check(cfg, {"adapter": {"downsample": 4}, "loss": {}}))


def test_a_sharded_teacher_needs_a_torchrun_strategy(tmp_path, tiny_lm):
    from salad.core.errors import SaladError
    from salad.stages.stage1.spec import Stage1StageConfig, check

    values = dict(train_manifest="t.jsonl", teacher_sharding="fsdp",
                  heldout=[{"name": "h", "speech": "s.jsonl", "texts": "t.jsonl"}])
    (problem,) = check(Stage1StageConfig(**values), {"loss": {}})
    assert problem.loc == "teacher_sharding" and "strategy is none" in problem.message
    assert not list(check(Stage1StageConfig(**values, strategy="fsdp"), {"loss": {}}))
    with pytest.raises(SaladError, match="needs a torchrun launch"):
        _setup(tmp_path, tiny_lm, teacher_sharding="fsdp")  # no process group joined


def test_start_from_takes_a_checkpoint_of_either_kind(tmp_path, tiny_lm):
    """Stage II starts from Stage I's weights and optimizer state, whether Stage I ran in one
    process (safetensors) or under torchrun (a torch.distributed.checkpoint folder); an
    incomplete one is an error that names what it lacks."""
    from salad.core.errors import SaladError
    from salad.core.launch import World
    from salad.training.checkpoint import save_sharded

    source = _setup(tmp_path / "source", tiny_lm, steps=2)
    source.run(progress=False)
    plain = tmp_path / "source" / "checkpoints" / "final"
    sharded = save_sharded(tmp_path / "sharded", source.model, source.optimizer, {}, World())
    expected = dict(source.model.named_parameters())
    moments = source.optimizer.state_dict()["state"]
    for ckpt in (plain, sharded):
        target = _setup(tmp_path / ckpt.name, tiny_lm)
        target.start_from(ckpt)
        for name, p in target.model.named_parameters():
            assert torch.equal(p, expected[name]), (ckpt.name, name)
        state = target.optimizer.state_dict()["state"]
        assert state.keys() == moments.keys()
        assert all(torch.equal(state[i]["exp_avg"], moments[i]["exp_avg"]) for i in moments)
        assert target.step == 0
    (plain / "optimizer.safetensors").unlink()  # a checkpoint cleaned up in part
    with pytest.raises(SaladError, match="lacks optimizer.safetensors"):
        _setup(tmp_path / "again", tiny_lm).start_from(plain)
