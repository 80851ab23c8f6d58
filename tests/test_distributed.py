"""Distributed Stage I on CPU (gloo): 2 ranks train like 1 rank with the same global batch,
and a checkpoint written on one number of ranks resumes on another, for DDP and FSDP2.

Each run is a group of processes started with ``torch.multiprocessing``, each joining the
group from the variables ``torchrun`` would set. Loss curves of 1 and 2 ranks differ only by
the order of floating-point sums (gradients reduced across ranks instead of accumulated):
TOLERANCE bounds the difference per step.
"""

from __future__ import annotations

import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from salad.core.plugin_host import get_host

from .helpers.tiny_stage1 import tiny_trainer

TOLERANCE = 1e-4  # absolute, nats per token, on the training loss of each step (about 2.8)
# global batch of 8 windows: 2 micro-batches of 4, on 1 rank or split over 2
SETTINGS = dict(steps=6, batch_size=4, grad_accum=2, warmup_steps=2, eval_every=3,
                checkpoint_every=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, size, port, lm_dir, out_dir, strategy, stop_after, result):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from salad.training.distributed import init

    world = init(strategy, torch.device("cpu"))

    def lm(kind, **config):
        return get_host().registry(kind).build("salad.hf_lm.v1", {"model": lm_dir, **config})

    trainer = tiny_trainer(out_dir, lm, {"alpha": 0.5}, world=world, strategy=strategy,
                           **SETTINGS)
    losses = {}
    trainer.log = lambda step=None, split="", **kw: (
        losses.__setitem__(step, kw["loss"]) if split == "train" else None)
    summary = trainer.run(stop_after=stop_after, progress=False)
    if world.main:
        with open(result, "w", encoding="utf-8") as f:
            json.dump({"losses": losses, "step": summary["step"],
                       "misalignment": [h["misalignment"] for h in summary["history"]]}, f)
    torch.distributed.destroy_process_group()


def _run(tmp_path, tiny_lm_dir, ranks, strategy, out, stop_after=None) -> dict:
    result = tmp_path / f"result-{out}-{ranks}-{stop_after}.json"
    mp.start_processes(_worker, nprocs=ranks, join=True, start_method="spawn",
                       args=(ranks, _free_port(), str(tiny_lm_dir), str(tmp_path / out),
                             strategy, stop_after, str(result)))
    data = json.loads(result.read_text())
    data["losses"] = {int(k): v for k, v in data["losses"].items()}
    return data


def _max_diff(a: dict[int, float], b: dict[int, float]) -> float:
    assert a.keys() == b.keys()
    return max(abs(a[k] - b[k]) for k in a)


@pytest.mark.parametrize("strategy", ["ddp", pytest.param("fsdp", marks=pytest.mark.slow)])
def test_two_ranks_give_the_loss_curve_of_one(tmp_path, tiny_lm_dir, strategy):
    one = _run(tmp_path, tiny_lm_dir, 1, strategy, "one")
    two = _run(tmp_path, tiny_lm_dir, 2, strategy, "two")
    assert sorted(one["losses"]) == list(range(1, SETTINGS["steps"] + 1))
    assert one["losses"][SETTINGS["steps"]] < one["losses"][1]  # it trains
    diff = _max_diff(one["losses"], two["losses"])
    print(f"{strategy}: max |loss(1 rank) - loss(2 ranks)| = {diff:.2e} over "
          f"{len(one['losses'])} steps")
    assert diff < TOLERANCE
    assert two["misalignment"] == pytest.approx(one["misalignment"], abs=TOLERANCE)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
@pytest.mark.parametrize("first,then", [(2, 1), (1, 2)])
def test_checkpoint_resumes_on_another_number_of_ranks(tmp_path, tiny_lm_dir, strategy, first,
                                                       then):
    full = _run(tmp_path, tiny_lm_dir, 1, strategy, "full")
    _run(tmp_path, tiny_lm_dir, first, strategy, "cut", stop_after=3)  # checkpoint at step 2
    resumed = _run(tmp_path, tiny_lm_dir, then, strategy, "cut")
    assert resumed["step"] == SETTINGS["steps"]
    assert sorted(resumed["losses"]) == [3, 4, 5, 6]
    tail = {k: v for k, v in full["losses"].items() if k >= 3}
    diff = _max_diff(tail, resumed["losses"])
    print(f"{strategy}: written on {first} rank(s), resumed on {then}: max loss difference "
          f"{diff:.2e}")
    assert diff < TOLERANCE
    assert resumed["misalignment"][-1] == pytest.approx(full["misalignment"][-1],
                                                        abs=TOLERANCE)
