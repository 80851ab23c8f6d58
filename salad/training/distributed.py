"""Data-parallel training with PyTorch's own engine: ``torchrun`` workers, DDP or FSDP2.

A stage started by ``torchrun`` finds its rank in the environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``); :func:`init` joins the process group (NCCL on CUDA, gloo on CPU). The student
(adapter, markers and LM: :class:`~salad.speech.model.SpeechLM`) is wrapped by :func:`wrap`:

- ``ddp``: ``DistributedDataParallel``, every rank holds the whole model;
- ``fsdp``: ``fully_shard`` (FSDP2) on every block of every ``ModuleList`` (the LM's decoder
  layers, the adapter's blocks) and on the root (adapter, markers, embeddings, head).

A training micro-batch is one call of the wrapper (``SpeechLM.forward``), which is what both
hook. Evaluation calls the model's methods directly: :func:`gathered` holds the root's
parameters whole meanwhile.

The frozen teacher stays whole on every rank, or with ``teacher_sharding: fsdp`` is sharded
the same way (:func:`shard_teacher`): each rank then holds 1/N of its weights, and every rank
must call it together (the same number of forward passes), since each pass gathers the shards.
"""

from __future__ import annotations

import atexit
import os
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import get_args

import torch
import torch.distributed as dist
from torch import nn

from ..core.errors import SaladError
from ..core.launch import World, env_world
from .config import Strategy

STRATEGIES = get_args(Strategy)


def init(strategy: str, device: torch.device) -> World:
    """Join the process group of a ``torchrun`` launch for ``strategy`` (``ddp``/``fsdp``);
    ``none`` runs alone and refuses a multi-worker launch."""
    if strategy not in STRATEGIES:
        raise SaladError(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    world = env_world()
    if strategy == "none":
        if world.size > 1:
            raise SaladError(f"launched with {world.size} workers, but the stage's strategy is "
                             "none: set strategy: ddp or fsdp")
        return World()
    if "MASTER_ADDR" not in os.environ:
        raise SaladError(f"strategy {strategy} needs a torchrun launch (MASTER_ADDR, RANK, "
                         "WORLD_SIZE unset): torchrun --nproc-per-node N -m salad.cli.main run "
                         "...; docs/cluster.md")
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                timeout=timedelta(minutes=30))
        atexit.register(_leave)
    return world


def _leave() -> None:
    """Leave the process group before the interpreter exits: a group left to the native
    destructors can abort the worker at exit (gloo: "terminate called without an active
    exception") after its work is done."""
    if dist.is_initialized():
        dist.destroy_process_group()


def _fully_shard(model: nn.Module, frozen_blocks: bool) -> None:
    """FSDP2 on every block of every ``ModuleList`` of ``model`` (with ``frozen_blocks``
    False, only blocks that train) and on its root."""
    from torch.distributed.fsdp import fully_shard

    for module in list(model.modules()):
        if isinstance(module, nn.ModuleList):
            for block in module:
                if frozen_blocks or any(p.requires_grad for p in block.parameters()):
                    fully_shard(block)
    fully_shard(model)


def wrap(model: nn.Module, strategy: str, device: torch.device) -> nn.Module:
    """``model`` for data-parallel training (the same module for ``none``)."""
    if strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)
    if strategy == "fsdp":
        _fully_shard(model, frozen_blocks=False)
    return model


class ShardedTeacher:
    """A frozen teacher LM whose torch module is sharded with FSDP2: its blocks gather their
    weights in their own forward, and the root's (embeddings, final norm, head) are gathered
    around each call of the LM's methods. ``collective``: every rank must make the same calls
    (a rank with no work of its own still runs the pass; see the teacher top-k cache)."""

    collective = True

    def __init__(self, teacher):
        module = getattr(teacher, "module", None)
        if not isinstance(module, nn.Module):
            raise SaladError(f"teacher_sharding fsdp: the teacher ({type(teacher).__name__}) has "
                             "no torch module to shard; set teacher_sharding: replicate")
        _fully_shard(module, frozen_blocks=True)
        self._teacher, self._module = teacher, module

    def __getattr__(self, name):
        return getattr(self._teacher, name)

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        with gathered(self._module, "fsdp"):
            return self._teacher.embed(token_ids)

    def hidden_states(self, inputs_embeds: torch.Tensor,
                      attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        with gathered(self._module, "fsdp"):
            return self._teacher.hidden_states(inputs_embeds, attention_mask)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        with gathered(self._module, "fsdp"):
            return self._teacher.logits(hidden)


def shard_teacher(teacher, sharding: str):
    """The teacher as ``teacher_sharding`` asks: the same object (``replicate``) or a
    :class:`ShardedTeacher` (``fsdp``; needs a joined process group)."""
    return ShardedTeacher(teacher) if sharding == "fsdp" else teacher


@contextmanager
def grad_sync(wrapped: nn.Module, strategy: str, sync: bool):
    """Gradient accumulation: reduce gradients among ranks only when ``sync`` (the last
    micro-batch of a step)."""
    if strategy == "fsdp":
        wrapped.set_requires_gradient_sync(sync)
    with wrapped.no_sync() if strategy == "ddp" and not sync else nullcontext():
        yield


@contextmanager
def gathered(wrapped: nn.Module, strategy: str):
    """The root's parameters whole on every rank (FSDP2) for calls outside ``forward``."""
    if strategy != "fsdp":
        yield
        return
    # the root must know it is the root before the first forward (FSDP2 learns it lazily,
    # from the first module to run forward; evaluation runs before training does)
    wrapped._get_fsdp_state()._lazy_init()
    wrapped.unshard()
    try:
        yield
    finally:
        wrapped.reshard()


def local_share(items: list, world: World) -> list:
    """This rank's contiguous share of ``items`` (the count must divide evenly)."""
    if len(items) % world.size:
        raise SaladError(f"{len(items)} micro-batches per step do not divide among "
                         f"{world.size} ranks: make grad_accum a multiple of the rank count")
    per = len(items) // world.size
    return items[world.rank * per:(world.rank + 1) * per]
