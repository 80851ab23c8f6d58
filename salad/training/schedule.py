"""Optimizer and learning-rate schedule of the paper: AdamW, warm-up, late linear decay."""

from __future__ import annotations

import torch

from .config import Stage1Config


def lr_factor(step: int, cfg: Stage1Config) -> float:
    """Linear warm-up, constant, then linear decay to 0 over the last ``decay_fraction``."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    decay_start = decay_start_step(cfg)
    if step < decay_start:
        return 1.0
    remaining = cfg.steps - decay_start
    return max(0.0, (cfg.steps - step) / remaining) if remaining > 0 else 1.0


def decay_start_step(cfg: Stage1Config) -> int:
    """First step of the decay; the "pre-decay" checkpoint is taken just before it."""
    return int(round(cfg.steps * (1.0 - cfg.decay_fraction)))


def build_optimizer(model, cfg: Stage1Config, fused: bool = False) -> torch.optim.AdamW:
    """Two parameter groups (adapter + markers, LM), no weight decay on norms and biases;
    ``fused``: the fused CUDA kernel."""
    groups: dict[tuple[str, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        part = "lm" if name.startswith("lm.") else "adapter"
        decay = param.ndim >= 2 and "norm" not in name
        groups.setdefault((part, decay), []).append(param)
    lr = {"adapter": cfg.lr_adapter, "lm": cfg.lr_lm}
    param_groups = [
        {"params": params, "lr": lr[part], "initial_lr": lr[part], "name": f"{part}",
         "weight_decay": cfg.weight_decay if decay else 0.0}
        for (part, decay), params in sorted(groups.items())
    ]
    return torch.optim.AdamW(param_groups, betas=(0.9, 0.95), fused=fused or None)


def set_lr(optimizer: torch.optim.Optimizer, step: int, cfg: Stage1Config) -> float:
    factor = lr_factor(step, cfg)
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor
    return factor
