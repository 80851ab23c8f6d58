"""LM-free alignment of a CTC adapter: CTC on cached encoder frames against the transcripts.

No LM forward pass runs, so thousands of steps cost minutes. The adapter brings the head and
the loss (:class:`CTCAlignable`); this module brings the loop: length-bucketed batches in a
seeded order, warm-up and cosine decay, held-out greedy word error rate, and exact resume from
the newest checkpoint.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch

from ..asr.wer import corpus_wer
from ..core.errors import SaladError
from ..data.files import atomic_write_json
from ..data.progress import progress_bar
from .checkpoint import latest_checkpoint, load_checkpoint, save_adapter, save_checkpoint
from .config import AlignConfig
from .data import FeatureLookup, Sampler, Utterance, pad_frames


@runtime_checkable
class CTCAlignable(Protocol):
    """An adapter with a CTC head that can be trained without the LM."""

    def ctc_loss(self, frames: torch.Tensor, lengths: torch.Tensor, texts: list[str],
                 generator: torch.Generator | None = None) -> torch.Tensor: ...

    def transcribe(self, frames: torch.Tensor, lengths: torch.Tensor) -> list[str]: ...

    def head_parameters(self) -> list[torch.nn.Parameter]: ...


def length_buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices sorted by length, cut into batches (little padding per batch)."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def lr_factor(step: int, cfg: AlignConfig) -> float:
    warm = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return warm * max(0.02, 0.5 * (1.0 + math.cos(math.pi * step / cfg.steps)))


def heldout_wer(adapter: CTCAlignable, utts: Sequence[Utterance], features: FeatureLookup,
                batch_size: int = 32) -> tuple[float, list[tuple[str, str]]]:
    """Word error rate of ``adapter.transcribe`` (what the LM reads, in the adapter's own
    decoding) on ``utts`` and the (reference, hypothesis) pairs."""
    pairs = []
    for start in range(0, len(utts), batch_size):
        part = utts[start:start + batch_size]
        frames, lengths = pad_frames(features([u.id for u in part]))
        device = next(adapter.parameters()).device
        pairs += zip([u.text for u in part],
                     adapter.transcribe(frames.to(device), lengths.to(device)))
    return corpus_wer(pairs), pairs


class AlignTrainer:
    def __init__(self, cfg: AlignConfig, adapter, train: list[Utterance],
                 heldout: dict[str, list[Utterance]], lengths: dict[str, int],
                 features: FeatureLookup, out_dir: Path, log: Callable[..., None] | None = None,
                 device: torch.device | None = None):
        if not train:
            raise SaladError("align: no training utterances with features")
        self.cfg, self.adapter, self.train, self.heldout = cfg, adapter, train, heldout
        self.device = device or torch.device("cpu")
        adapter.to(self.device)
        self.features = features
        self.out_dir = Path(out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.log = log or (lambda **kw: None)
        self.params = adapter.head_parameters()
        for p in self.params:
            p.requires_grad_(True)
        self.optimizer = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.buckets = length_buckets([lengths[u.id] for u in train], cfg.batch_size)
        self.sampler = Sampler(len(self.buckets), cfg.seed)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.step = 0
        self.history: list[dict[str, Any]] = []

    def train_step(self) -> float:
        (index, _), = self.sampler.take(1)
        utts = [self.train[i] for i in self.buckets[index]]
        frames, lengths = pad_frames(self.features([u.id for u in utts]))
        frames, lengths = frames.to(self.device), lengths.to(self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = self.cfg.lr * lr_factor(self.step, self.cfg)
        gen = self.generator if self.cfg.spec_augment else None
        loss = self.adapter.ctc_loss(frames, lengths, [u.text for u in utts], gen)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.cfg.clip_norm)
        self.optimizer.step()
        self.step += 1
        return float(loss.detach())

    def evaluate(self) -> dict[str, float]:
        was_training = self.adapter.training
        self.adapter.eval()
        try:
            row = {f"wer/{name}": heldout_wer(self.adapter, utts, self.features)[0]
                   for name, utts in self.heldout.items()}
        finally:
            self.adapter.train(was_training)
        self.history.append({"step": self.step, **row})
        self.log(step=self.step, split="heldout", **row)
        return row

    def _state(self) -> dict[str, Any]:
        return {"step": self.step, "sampler": self.sampler.state(), "history": self.history,
                "generator": self.generator.get_state().tolist()}

    def resume(self) -> bool:
        ckpt = latest_checkpoint(self.ckpt_dir)
        if ckpt is None:
            return False
        state = load_checkpoint(ckpt, self.adapter, self.optimizer)
        self.step, self.history = state["step"], state["history"]
        self.sampler = Sampler(len(self.buckets), self.cfg.seed, **state["sampler"])
        self.generator.set_state(torch.tensor(state["generator"], dtype=torch.uint8))
        return True

    def run(self, progress: bool = True, stop_after: int | None = None) -> dict[str, Any]:
        """Train to ``cfg.steps`` (or ``stop_after`` steps, for tests of resuming)."""
        cfg = self.cfg
        self.resume()
        self.adapter.train()
        bar = progress_bar(total=cfg.steps, initial=self.step, desc="align (CTC)", unit="step",
                   disable=not progress)
        start, steps_run = time.time(), 0
        while self.step < cfg.steps and (stop_after is None or steps_run < stop_after):
            steps_run += 1
            loss = self.train_step()
            self.log(step=self.step, split="train", ctc_loss=loss,
                     lr_factor=lr_factor(self.step - 1, cfg))
            bar.set_postfix(ctc=f"{loss:.3f}", refresh=False)  # redraws follow the interval
            bar.update(1)
            if self.heldout and (self.step % cfg.eval_every == 0 or self.step == cfg.steps):
                self.evaluate()
            if self.step % cfg.checkpoint_every == 0 and self.step < cfg.steps:
                save_checkpoint(self.ckpt_dir / f"step-{self.step:07d}", self.adapter,
                                self.optimizer, self._state())
        bar.close()
        self.adapter.eval()
        if self.step >= cfg.steps:
            save_adapter(self.out_dir / "adapter.safetensors", self.adapter)
        summary = {"step": self.step, "seconds": round(time.time() - start, 1),
                   "history": self.history}
        atomic_write_json(self.out_dir / "history.json", summary)
        return summary
