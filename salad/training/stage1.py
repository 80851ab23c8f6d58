"""The Stage I training loop: cross-modal distillation with exact resume."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..core.errors import SaladError
from ..core.kinds.loss import TeacherTopK
from ..data.feature_cache import file_hash
from ..data.files import atomic_write_text
from ..data.progress import progress_bar
from ..speech.model import SpeechLM, teacher_logits
from .checkpoint import (
    is_sharded,
    latest_checkpoint,
    load_checkpoint,
    load_sharded,
    save_checkpoint,
    save_sharded,
)
from .config import Stage1Config
from .data import (
    ExampleBuilder,
    FeatureLookup,
    Sampler,
    Utterance,
    assign_modalities,
    modality_rng,
    speech_batch,
    spoken_ids,
)
from .device import precision_for
from .distributed import World, gathered, grad_sync, local_share, shard_teacher, wrap
from .reading import HalvesSet, reading_metrics
from .reading_cache import ReadingCache
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


def measure(model, teacher, scorer, held: list[HalvesSet], features,
            world: World | None = None, together: bool = False) -> dict[str, dict[str, float]]:
    """The held-out reading metrics of ``model`` (unwrapped) as it is, per halves set (one
    flat row: :func:`heldout_row`); the ranks of ``world`` share the batches (``together``:
    see :func:`~salad.training.reading.reading_metrics`)."""
    return {h.name: reading_metrics(model, teacher, scorer, h, features, world=world,
                                    together=together) for h in held}


def draw_step(take: Callable[[int], list], count: Callable[[list], int], batch_size: int,
              grad_accum: int, batch_tokens: int | None) -> tuple[list[list], int | None]:
    """The micro-batches of one optimizer step, the same on every rank: rounds of
    ``grad_accum`` micro-batches of ``batch_size`` windows, each round drawn with ``take(n)``,
    until the student positions of all windows drawn (``count(picks)`` per round) reach
    ``batch_tokens``; one round when it is None. Returns the micro-batches and their positions
    (None without ``batch_tokens``). Nothing here depends on the number of ranks, and a whole
    round divides among them as ``grad_accum`` does."""
    groups, positions = [], 0
    while True:
        picks = take(batch_size * grad_accum)
        groups += [picks[i:i + batch_size] for i in range(0, len(picks), batch_size)]
        if batch_tokens is None:
            return groups, None
        positions += count(picks)
        if positions >= batch_tokens:
            return groups, positions


def enable_activation_checkpointing(model) -> None:
    """Recompute the student LM's layer activations in backward (less memory, more time)."""
    lm = model.lm
    kwargs = {"use_reentrant": False}
    if callable(getattr(lm, "activation_checkpointing_enable", None)):  # transformers >= 5.x
        lm.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    elif callable(getattr(lm, "gradient_checkpointing_enable", None)):
        lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    else:
        raise SaladError(f"activation_checkpointing: the student ({type(lm).__name__}) has no "
                         "activation checkpointing; set it to false")


class Stage1Trainer:
    def __init__(self, cfg: Stage1Config, model: SpeechLM, teacher, loss, scorer,
                 train_windows: list[list[Utterance]], held: list[HalvesSet],
                 builder: ExampleBuilder,
                 features: FeatureLookup, out_dir: Path, log: Logger | None = None,
                 teacher_key: str = "teacher", device: torch.device | None = None,
                 world: World | None = None, reading_cache: ReadingCache | None = None):
        self.cfg, self.model = cfg, model
        self.device = device or torch.device("cpu")
        self.precision = precision_for(self.device, cfg.bf16)
        self.world = world or World()
        model.to(self.device)
        if self.device.type != "cpu":
            teacher.to(self.device)
        if cfg.teacher_sharding != "replicate" and not self.world.joined:
            raise SaladError(f"teacher_sharding {cfg.teacher_sharding} needs a torchrun launch "
                             "(strategy ddp or fsdp)")
        self.teacher = shard_teacher(teacher, cfg.teacher_sharding)
        # passes that need every rank: a sharded student or teacher gathers its weights
        self.together = cfg.strategy == "fsdp" or getattr(self.teacher, "collective", False)
        if cfg.activation_checkpointing:
            enable_activation_checkpointing(model)
        self.net = wrap(model, cfg.strategy, self.device)
        self.loss, self.scorer = loss, scorer
        self.windows, self.held = train_windows, held
        self.builder, self.features = builder, features
        self.out_dir = Path(out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        quiet = log is None or not self.world.main
        self.log = (lambda step=None, **kw: None) if quiet else log
        self.teacher_key = teacher_key
        self.optimizer = build_optimizer(model, cfg, fused=self.precision.fused_adamw)
        self.sampler = Sampler(len(train_windows), cfg.seed)
        self.step = 0
        self.tokens_seen = 0
        self.history: list[dict[str, Any]] = []
        self.teacher_cache: TeacherCache | None = None
        self.pre_decay_checkpoint = True  # keep the weights where the decay starts (Stage II)
        # the pre-decay and final weights' metrics, for the stages that show them again
        self.reading_cache = reading_cache
        self._measured: tuple[int, dict[str, dict[str, float]]] | None = None
        self._frames: dict[str, int] = {}  # frame count per utterance (for batch_tokens)
        if cfg.batch_tokens is not None:
            if getattr(model.adapter, "downsample", None) is None:
                raise SaladError("batch_tokens needs an adapter with a fixed downsample (this "
                                 "adapter's output length depends on its weights); unset it")
            lengths = getattr(features, "lengths", None)  # the feature cache's headers
            self._frames = dict(lengths()) if callable(lengths) else {}

    # -- one step ----------------------------------------------------------------------------
    def _local_micro_batches(self) -> tuple[list[list[tuple[int, int]]], int]:
        """This rank's share of the next global batch and the batch's number of micro-batches:
        ``grad_accum`` micro-batches of ``batch_size`` windows (more rounds of them to reach
        ``batch_tokens``: :func:`draw_step`), drawn the same way on every rank and split among
        the ranks, so that the global batch, and the run, do not depend on the number of
        ranks."""
        cfg = self.cfg
        groups, _ = draw_step(self.sampler.take, self._planned_positions, cfg.batch_size,
                              cfg.grad_accum, cfg.batch_tokens)
        return local_share(groups, self.world), len(groups)

    def _planned_positions(self, picks) -> int:
        """Student positions of the windows ``picks``, without the model: their layouts with
        each spoken utterance taking ``ceil(frames / downsample)`` adapter positions."""
        examples = self._examples(picks)
        ids = spoken_ids(examples)
        missing = [i for i in dict.fromkeys(ids) if i not in self._frames]
        if missing:  # frame counts, read once per utterance
            self._frames.update({i: int(f.shape[0])
                                 for i, f in zip(missing, self.features(missing), strict=True)})
        d = self.model.adapter.downsample
        lengths = [-(-self._frames[i] // d) for i in ids]
        layouts = self.builder.layouts(examples, lengths, self.model.boundary_markers)
        return sum(len(lay.student_ids) for lay in layouts)

    def _examples(self, picks):
        examples = []
        for idx, epoch in picks:
            window = self.windows[idx]
            flags = assign_modalities(len(window), modality_rng(self.cfg.seed, epoch, idx),
                                      self.cfg.speech_prob, self.cfg.text_fraction)
            examples.append((window, flags))
        return examples

    def _targets(self, window_ids, batch):
        if self.teacher_cache is not None:
            top = self.teacher_cache.lookup(window_ids, batch)
            return TeacherTopK(top.logprobs.to(self.device), top.indices.to(self.device))
        return teacher_logits(self.teacher, batch)

    def train_step(self) -> dict[str, float]:
        cfg = self.cfg
        factor = set_lr(self.optimizer, self.step, cfg)
        totals: dict[str, float] = {}
        positions = 0
        local, micro_batches = self._local_micro_batches()
        for i, picks in enumerate(local):
            with grad_sync(self.net, cfg.strategy, i == len(local) - 1):
                examples = self._examples(picks)
                with self.precision.autocast():
                    logits, batch = self.net(
                        lambda m, ex=examples: speech_batch(m, self.builder, self.features, ex))
                window_ids = [idx for idx, _ in picks]
                teacher = self._targets(window_ids, batch) if self.loss.needs_teacher else None
                batch = batch.to(self.device, self.precision.pin_memory)
                out = self.loss(logits.float(), batch.targets, teacher)
                (out["loss"] / len(local)).backward()
            for key, value in out.items():
                totals[key] = totals.get(key, 0.0) + float(value.detach()) / micro_batches
            positions += int(batch.student_mask.sum())
        if cfg.batch_tokens is not None:
            planned = sum(self._planned_positions(picks) for picks in local)
            if planned != positions:
                raise SaladError(f"batch_tokens: the step's micro-batches hold {positions} "
                                 f"student positions, but {planned} were counted before the "
                                 "forward: the adapter's output length is not ceil(frames / "
                                 "downsample); unset batch_tokens")
        keys = sorted(totals)
        summed = self.world.sum([totals[k] for k in keys] + [positions])
        totals, positions = dict(zip(keys, summed)), int(summed[-1])
        grad_norm = torch.nn.utils.clip_grad_norm_(
            [p for p in self.model.parameters() if p.requires_grad], cfg.clip_norm)
        if hasattr(grad_norm, "full_tensor"):  # FSDP2: a DTensor
            grad_norm = grad_norm.full_tensor()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        self.tokens_seen += positions
        extra = {"micro_batches": micro_batches} if cfg.batch_tokens is not None else {}
        return {**totals, "grad_norm": float(grad_norm), "lr_factor": factor,
                "positions": positions, **extra}

    # -- evaluation and checkpoints --------------------------------------------------------
    def measure(self) -> dict[str, float]:
        """The held-out reading metrics of the model as it is (one flat row)."""
        with gathered(self.net, self.cfg.strategy):
            sets = measure(self.model, self.teacher, self.scorer, self.held, self.features,
                           self.world, self.together)
        self._measured = (self.step, sets)
        return heldout_row(sets)

    def evaluate(self, known: dict[str, float] | None = None) -> dict[str, float]:
        """Measure (or take the ``known`` metrics of these weights), log and keep in history."""
        metrics = known if known is not None else self.measure()
        row = {"step": self.step, "tokens": self.tokens_seen, **metrics}
        self.history.append(row)
        self.log(step=self.step, split="heldout", tokens=self.tokens_seen, **metrics)
        return metrics

    def _keep_measured(self, checkpoint: Path) -> None:
        """Put the metrics measured at this step in the reading cache under ``checkpoint``'s
        weights (rank 0)."""
        if (self.reading_cache is None or not self.world.main or self._measured is None
                or self._measured[0] != self.step):
            return
        weights = file_hash(checkpoint / "model.safetensors")
        for h in self.held:
            self.reading_cache.put(weights, h, self._measured[1][h.name])

    def _state(self) -> dict[str, Any]:
        return {"step": self.step, "tokens_seen": self.tokens_seen,
                "sampler": self.sampler.state(), "history": self.history,
                "config": self.cfg.model_dump(mode="json")}

    def save(self, name: str) -> Path:
        if self.cfg.strategy == "none":
            path = save_checkpoint(self.ckpt_dir / name, self.model, self.optimizer,
                                   self._state())
        else:
            path = save_sharded(self.ckpt_dir / name, self.model, self.optimizer, self._state(),
                                self.world, consolidate=not name.startswith("step-"))
        if self.world.main:  # keep the newest rolling checkpoint only
            for old in self.ckpt_dir.glob("step-*"):
                if old != path and old.name < path.name and name.startswith("step-"):
                    shutil.rmtree(old, ignore_errors=True)
        return path

    def resume(self) -> bool:
        ckpt = latest_checkpoint(self.ckpt_dir)
        if ckpt is None:
            return False
        if is_sharded(ckpt) != (self.cfg.strategy != "none"):
            raise SaladError(f"{ckpt} was written with strategy "
                             f"{'ddp or fsdp' if is_sharded(ckpt) else 'none'}; resume it with "
                             f"the same kind of strategy (this run: {self.cfg.strategy})")
        if self.cfg.strategy == "none":
            state = load_checkpoint(ckpt, self.model, self.optimizer)
        else:
            state = load_sharded(ckpt, self.model, self.optimizer)
        self.step, self.tokens_seen = state["step"], state["tokens_seen"]
        self.sampler = Sampler(len(self.windows), self.cfg.seed, **state["sampler"])
        self.history = state["history"]
        return True

    def start_from(self, ckpt: Path) -> None:
        """Weights and optimizer state of another run's checkpoint (Stage II starts from Stage
        I's), whatever the number of ranks that wrote it; the step count starts at 0."""
        if is_sharded(ckpt):
            load_sharded(ckpt, self.model, self.optimizer)
        elif self.cfg.strategy == "fsdp":
            raise SaladError(f"{ckpt} was written with strategy none; strategy fsdp starts "
                             "from a checkpoint of a ddp or fsdp run (train Stage I with one)")
        else:
            load_checkpoint(ckpt, self.model, self.optimizer)

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop_after: int | None = None, progress: bool = True,
            initial: dict[str, float] | None = None) -> dict[str, Any]:
        """Train to ``cfg.steps`` (or ``stop_after`` steps, for tests of resuming);
        ``initial``: the held-out metrics of the starting weights, when already measured."""
        cfg = self.cfg
        resumed = self.resume()
        if self.loss.needs_teacher and cfg.teacher_topk > 0:
            self.teacher_cache = TeacherCache.build(
                self.teacher, self.builder, self.windows, cfg.teacher_topk,
                self.out_dir / "teacher_topk.safetensors", self.teacher_key, world=self.world)
        if not resumed:
            self.evaluate(initial)
        pre_decay = decay_start_step(cfg)
        bar = progress_bar(total=cfg.steps, initial=self.step, desc="stage1", unit="step",
                           disable=not (progress and self.world.main))
        start_time, start_tokens = time.time(), self.tokens_seen
        steps_run = 0
        while self.step < cfg.steps:
            if (self.pre_decay_checkpoint and self.step == pre_decay
                    and not (self.ckpt_dir / "pre-decay").exists()):
                self._keep_measured(self.save("pre-decay"))
            metrics = self.train_step()
            steps_run += 1
            rate = (self.tokens_seen - start_tokens) / max(time.time() - start_time, 1e-9)
            self.log(step=self.step, split="train", tokens=self.tokens_seen,
                     tokens_per_s=rate, **metrics)
            if (self.step % cfg.eval_every == 0 or self.step == cfg.steps
                    or (self.pre_decay_checkpoint and self.step == pre_decay)):
                self.evaluate()  # the pre-decay weights too: Stage II starts from them
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
            self._keep_measured(self.save("final"))
        summary = {"step": self.step, "tokens_seen": self.tokens_seen, "history": self.history}
        if self.world.main:
            atomic_write_text(self.out_dir / "history.json", json.dumps(summary, indent=2))
        return summary
