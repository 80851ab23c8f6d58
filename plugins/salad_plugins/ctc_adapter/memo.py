"""Memo of the CTC adapter's decoded words: what a head without dropout spells an utterance
depends only on its frames and the head's weights, and the beam search with a character LM
costs tens of milliseconds per utterance in Python, every forward.

- :class:`WordMemo`: a bounded LRU map, in memory only, from an utterance's key (the decoding
  settings and a BLAKE2b digest of its unpadded frames, with their dtype and shape) to its
  decoded words.
- :class:`WeightsWatch`: whether the head's weights may have changed since the memo was filled.
  It compares, per forward, each head tensor's identity, autograd version counter (bumped by
  every in-place change: ``load_state_dict``'s copies, ``optimizer.step`` of non-fused
  optimizers, in-place edits), storage address, dtype and device, so a load, a step, a
  replaced parameter, a reassigned ``.data`` or a move empties the memo.
- :func:`watch_optimizer_steps`: fused optimizers update weights without bumping the version
  counter, so a global optimizer step post-hook also empties the memo of every adapter whose
  head had a gradient in the stepped optimizer.

Only an in-place change through ``param.data`` (which has its own version counter) escapes
both; :meth:`CTCAdapter.clear_spelling_cache` is there for such code (none in SALAD does it
to the head). The checks err on the side of emptying: a head whose parameters are gathered
anew before each forward (FSDP) may find its memo emptied every step, which costs the decoding
the memo would have saved but never returns stale words.
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from itertools import chain

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook


def frames_digests(frames: torch.Tensor, lengths: torch.Tensor) -> list[tuple]:
    """Per item, a content key of its unpadded frames: (BLAKE2b-128 digest, dtype, shape)."""
    cpu = frames.detach().to("cpu")
    out = []
    for i, n in enumerate(lengths.tolist()):
        item = cpu[i, :n].contiguous()
        raw = item.view(torch.uint8) if item.numel() else item.to(torch.uint8)
        digest = hashlib.blake2b(raw.numpy().data, digest_size=16).digest()
        out.append((digest, str(item.dtype), tuple(item.shape)))
    return out


class WordMemo:
    """Least-recently-used map of at most ``size`` entries (0: keeps nothing)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable):
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


def _fingerprint(t: torch.Tensor) -> tuple:
    try:
        ptr = t.data_ptr()
    except RuntimeError:  # tensors without storage (e.g. some tensor subclasses)
        ptr = 0
    return (t._version, ptr, t.dtype, t.device, tuple(t.shape))


class WeightsWatch:
    """Whether a module's tensors changed since the last :meth:`changed` call (the first call
    says yes). Holds weak references only."""

    def __init__(self):
        self._seen: list[tuple] | None = None

    def changed(self, module: torch.nn.Module) -> bool:
        now = list(chain(module.parameters(), module.buffers()))
        prints = [_fingerprint(t) for t in now]
        seen = self._seen
        same = (seen is not None and len(seen) == len(now)
                and all(ref() is t and fp == old for (ref, old), t, fp in zip(seen, now, prints)))
        if not same:
            self._seen = [(weakref.ref(t), fp) for t, fp in zip(now, prints)]
        return not same

    def reset(self) -> None:
        self._seen = None


_WATCHED: weakref.WeakSet = weakref.WeakSet()
_HOOK = None


def _after_optimizer_step(optimizer, args, kwargs) -> None:
    if not _WATCHED:
        return
    stepped = {id(p) for group in optimizer.param_groups for p in group["params"]
               if p.grad is not None}
    for adapter in list(_WATCHED):
        if any(id(p) in stepped for p in adapter.head.parameters()):
            adapter.clear_spelling_cache()


def watch_optimizer_steps(adapter) -> None:
    """Empty ``adapter``'s memo after any optimizer step that updates its head (registers one
    global post-hook per process on first use; the adapter is held weakly)."""
    global _HOOK
    if _HOOK is None:
        _HOOK = register_optimizer_step_post_hook(_after_optimizer_step)
    _WATCHED.add(adapter)
