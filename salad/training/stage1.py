"""The Stage I training loop: cross-modal distillation with exact resume."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..data.files import atomic_write_text
from ..data.progress import progress_bar
from ..speech.model import SpeechLM, teacher_logits
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .config import Stage1Config
from .data import (
    ExampleBuilder,
    FeatureLookup,
    Sampler,
    Utterance,
    assign_modalities,
    modality_rng,
    speech_batch,
)
from .reading import HalvesSet, reading_metrics
from .schedule import build_optimizer, decay_start_step, set_lr
from .teacher_cache import TeacherCache

Logger = Callable[..., None]


def heldout_row(results: dict[str, dict[str, float]]) -> dict[str, float]:
    """One flat history row from the reading metrics of each halves set: ``name/key`` per set;
    ``misalignment`` is the first set's matched M (the Stage I domain), ``forgetting`` the F
    pooled over all sets."""
    row: dict[str, float] = {}
    for name, metrics in results.items():
        row.update({f"{name}/{k}": v for k, v in metrics.items()})
    first = next(iter(results.values()))
    positions = sum(m["positions"] for m in results.values())
    row["misalignment"] = first["misalignment"]
    row["forgetting"] = sum(m["forgetting"] * m["positions"] for m in results.values()) / max(
        positions, 1)
    row["speech_nll"] = first["nll_matched"]
    return row


class Stage1Trainer:
    def __init__(self, cfg: Stage1Config, model: SpeechLM, teacher, loss, scorer,
                 train_windows: list[list[Utterance]], held: list[HalvesSet],
                 builder: ExampleBuilder,
                 features: FeatureLookup, out_dir: Path, log: Logger | None = None,
                 teacher_key: str = "teacher"):
        self.cfg, self.model, self.teacher = cfg, model, teacher
        self.loss, self.scorer = loss, scorer
        self.windows, self.held = train_windows, held
        self.builder, self.features = builder, features
        self.out_dir = Path(out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.log = log or (lambda step=None, **kw: None)
        self.teacher_key = teacher_key
        self.optimizer = build_optimizer(model, cfg)
        self.sampler = Sampler(len(train_windows), cfg.seed)
        self.step = 0
        self.tokens_seen = 0
        self.history: list[dict[str, Any]] = []
        self.teacher_cache: TeacherCache | None = None

    # -- one step ----------------------------------------------------------------------------
    def _micro_batch(self):
        picks = self.sampler.take(self.cfg.batch_size)
        examples = []
        for idx, epoch in picks:
            window = self.windows[idx]
            flags = assign_modalities(len(window), modality_rng(self.cfg.seed, epoch, idx),
                                      self.cfg.speech_prob, self.cfg.text_fraction)
            examples.append((window, flags))
        batch, spans = speech_batch(self.model, self.builder, self.features, examples)
        return [i for i, _ in picks], batch, spans

    def _targets(self, window_ids, batch):
        if self.teacher_cache is not None:
            return self.teacher_cache.lookup(window_ids, batch)
        return teacher_logits(self.teacher, batch)

    def train_step(self) -> dict[str, float]:
        cfg = self.cfg
        factor = set_lr(self.optimizer, self.step, cfg)
        totals: dict[str, float] = {}
        positions = 0
        for _ in range(cfg.grad_accum):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                window_ids, batch, spans = self._micro_batch()
                logits = self.model.student_logits(batch, spans)
            teacher = self._targets(window_ids, batch) if self.loss.needs_teacher else None
            out = self.loss(logits.float(), batch.targets, teacher)
            (out["loss"] / cfg.grad_accum).backward()
            for key, value in out.items():
                totals[key] = totals.get(key, 0.0) + float(value.detach()) / cfg.grad_accum
            positions += int(batch.student_mask.sum())
        grad_norm = torch.nn.utils.clip_grad_norm_(
            [p for p in self.model.parameters() if p.requires_grad], cfg.clip_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        self.tokens_seen += positions
        return {**totals, "grad_norm": float(grad_norm), "lr_factor": factor,
                "positions": positions}

    # -- evaluation and checkpoints --------------------------------------------------------
    def evaluate(self) -> dict[str, float]:
        metrics = heldout_row({h.name: reading_metrics(self.model, self.teacher, self.scorer,
                                                       h, self.features) for h in self.held})
        row = {"step": self.step, "tokens": self.tokens_seen, **metrics}
        self.history.append(row)
        self.log(step=self.step, split="heldout", tokens=self.tokens_seen, **metrics)
        return metrics

    def _state(self) -> dict[str, Any]:
        return {"step": self.step, "tokens_seen": self.tokens_seen,
                "sampler": self.sampler.state(), "history": self.history,
                "config": self.cfg.model_dump(mode="json")}

    def save(self, name: str) -> Path:
        path = save_checkpoint(self.ckpt_dir / name, self.model, self.optimizer, self._state())
        for old in self.ckpt_dir.glob("step-*"):  # keep the newest rolling checkpoint only
            if old != path and old.name < path.name and name.startswith("step-"):
                shutil.rmtree(old, ignore_errors=True)
        return path

    def resume(self) -> bool:
        ckpt = latest_checkpoint(self.ckpt_dir)
        if ckpt is None:
            return False
        state = load_checkpoint(ckpt, self.model, self.optimizer)
        self.step, self.tokens_seen = state["step"], state["tokens_seen"]
        self.sampler = Sampler(len(self.windows), self.cfg.seed, **state["sampler"])
        self.history = state["history"]
        return True

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop_after: int | None = None, progress: bool = True) -> dict[str, Any]:
        """Train to ``cfg.steps`` (or ``stop_after`` steps, for tests of resuming)."""
        cfg = self.cfg
        resumed = self.resume()
        if self.loss.needs_teacher and cfg.teacher_topk > 0:
            self.teacher_cache = TeacherCache.build(
                self.teacher, self.builder, self.windows, cfg.teacher_topk,
                self.out_dir / "teacher_topk.safetensors", self.teacher_key)
        if not resumed:
            self.evaluate()
        pre_decay = decay_start_step(cfg)
        bar = progress_bar(total=cfg.steps, initial=self.step, desc="stage1", unit="step",
                   disable=not progress)
        start_time, start_tokens = time.time(), self.tokens_seen
        steps_run = 0
        while self.step < cfg.steps:
            if self.step == pre_decay and not (self.ckpt_dir / "pre-decay").exists():
                self.save("pre-decay")
            metrics = self.train_step()
            steps_run += 1
            rate = (self.tokens_seen - start_tokens) / max(time.time() - start_time, 1e-9)
            self.log(step=self.step, split="train", tokens=self.tokens_seen,
                     tokens_per_s=rate, **metrics)
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                self.evaluate()
            last = self.history[-1]
            bar.set_postfix(loss=f"{metrics['loss']:.3f}", M=f"{last['misalignment']:.3f}",
                            tok_s=f"{rate:.0f}", refresh=False)
            bar.update(1)
            if self.step % cfg.checkpoint_every == 0 or self.step == cfg.steps:
                self.save(f"step-{self.step:07d}")
            if stop_after is not None and steps_run >= stop_after:
                break
        bar.close()
        if self.step >= cfg.steps:
            self.save("final")
        summary = {"step": self.step, "tokens_seen": self.tokens_seen, "history": self.history}
        atomic_write_text(self.out_dir / "history.json", json.dumps(summary, indent=2))
        return summary
