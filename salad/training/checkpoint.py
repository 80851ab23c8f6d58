"""Exact, atomic training checkpoints: trainable weights, optimizer, RNG and data position.

Everything is safetensors or JSON: no pickles. A checkpoint is a directory written under a
temporary name and renamed into place, so a kill never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ..core.errors import SaladError
from ..data.files import atomic_path


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters that train (adapter, markers, LM or its LoRA weights), and every adapter
    parameter: an adapter may hold parts an earlier stage trained and this one keeps frozen
    (the CTC head of the align stage), and a checkpoint must rebuild the whole speech path."""
    keep = trainable_names(model)
    return {n: p.detach().contiguous().clone() for n, p in model.named_parameters() if n in keep}


def trainable_names(model: torch.nn.Module) -> set[str]:
    """Names of the parameters :func:`trainable_state` keeps."""
    return {n for n, p in model.named_parameters() if p.requires_grad or n.startswith("adapter.")}


def save_adapter(path: Path, adapter: torch.nn.Module) -> Path:
    """Every parameter of ``adapter`` as one safetensors file (atomic)."""
    with atomic_path(path) as tmp:
        save_file({n: p.detach().contiguous().clone() for n, p in adapter.named_parameters()},
                  str(tmp))
    return Path(path)


def load_adapter(path: Path, adapter: torch.nn.Module) -> None:
    """Load :func:`save_adapter` output into ``adapter`` (strict about names and shapes)."""
    weights = load_file(str(path))
    params = dict(adapter.named_parameters())
    if set(weights) != set(params):
        diff = sorted(set(weights) ^ set(params))
        raise SaladError(f"{path} does not fit the recipe's adapter (names differ: {diff[:5]})")
    _copy(weights, params, path)


def _copy(weights: dict[str, torch.Tensor], params: dict[str, torch.nn.Parameter],
          source: Path) -> None:
    with torch.no_grad():
        for name, value in weights.items():
            if params[name].shape != value.shape:
                raise SaladError(f"{source}: {name} has shape {tuple(value.shape)}, the model "
                                 f"has {tuple(params[name].shape)}")
            params[name].copy_(value)


def _optimizer_parts(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{idx}.{key}"] = value.contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = value
    meta = {"param_groups": sd["param_groups"], "scalars": scalars}
    return tensors, meta


def _load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    for idx, values in meta["scalars"].items():
        state.setdefault(int(idx), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_checkpoint(directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    trainer_state: dict[str, Any]) -> Path:
    directory = Path(directory)
    with atomic_path(directory, directory=True) as tmp:
        save_file(trainable_state(model), str(tmp / "model.safetensors"))
        opt_tensors, opt_meta = _optimizer_parts(optimizer)
        save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
        rng = {"torch": torch.get_rng_state()}
        save_file(rng, str(tmp / "rng.safetensors"))
        (tmp / "optimizer.json").write_text(json.dumps(opt_meta), encoding="utf-8")
        (tmp / "trainer.json").write_text(json.dumps(trainer_state, indent=2), encoding="utf-8")
    return directory


def load_weights(directory: Path, model: torch.nn.Module) -> None:
    """Load trainable weights into ``model`` (strict about names and shapes)."""
    weights = load_file(str(Path(directory) / "model.safetensors"))
    params = dict(model.named_parameters())
    unknown = sorted(set(weights) - set(params))
    if unknown:
        raise SaladError(f"checkpoint {directory} has weights the model lacks: {unknown[:5]}")
    _copy(weights, params, Path(directory))


def load_checkpoint(directory: Path, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None) -> dict[str, Any]:
    directory = Path(directory)
    parts = ["model.safetensors", "rng.safetensors", "trainer.json"]
    parts += ["optimizer.json", "optimizer.safetensors"] if optimizer is not None else []
    missing = [name for name in parts if not (directory / name).is_file()]
    if missing:
        raise SaladError(f"checkpoint {directory} lacks {', '.join(missing)}: it is incomplete "
                         "(copied or cleaned up in part); restore it or start from another")
    load_weights(directory, model)
    if optimizer is not None:
        meta = json.loads((directory / "optimizer.json").read_text(encoding="utf-8"))
        _load_optimizer(optimizer, load_file(str(directory / "optimizer.safetensors")), meta)
    torch.set_rng_state(load_file(str(directory / "rng.safetensors"))["torch"])
    return json.loads((directory / "trainer.json").read_text(encoding="utf-8"))


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete ``step-*`` checkpoint under ``root``."""
    found = sorted(p for p in Path(root).glob("step-*") if (p / "trainer.json").exists())
    return found[-1] if found else None


def is_sharded(directory: Path) -> bool:
    """Was ``directory`` written by :func:`save_sharded` (a distributed run)?"""
    return (Path(directory) / ".metadata").is_file()


def save_sharded(directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 trainer_state: dict[str, Any], world, consolidate: bool = False) -> Path:
    """A ``torch.distributed.checkpoint`` of a DDP or FSDP2 run, written by every rank into a
    temporary folder that rank 0 renames into place. It loads on any number of ranks. With
    ``consolidate``, rank 0 also writes the trainable weights as ``model.safetensors`` (what
    :func:`load_weights` and later stages read)."""
    import shutil

    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_state_dict,
    )

    directory = Path(directory)
    tmp = directory.with_name(f".{directory.name}.partial")
    if world.main:
        shutil.rmtree(tmp, ignore_errors=True)
    world.barrier()
    model_sd, optim_sd = get_state_dict(model, optimizer)
    dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(tmp))
    if consolidate:
        full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True,
                                                                    cpu_offload=True))
        if world.main:
            keep = trainable_names(model)
            save_file({n: t.contiguous() for n, t in full.items() if n in keep},
                      str(tmp / "model.safetensors"))
    if world.main:
        (tmp / "trainer.json").write_text(json.dumps(trainer_state, indent=2), encoding="utf-8")
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
    world.barrier()
    return directory


def load_sharded(directory: Path, model: torch.nn.Module,
                 optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Load :func:`save_sharded` output into a wrapped model and its optimizer, resharding to
    this run's ranks."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

    directory = Path(directory)
    model_sd, optim_sd = get_state_dict(model, optimizer)
    state = {"model": model_sd, "optim": optim_sd}
    dcp.load(state, checkpoint_id=str(directory))
    set_state_dict(model, optimizer, model_state_dict=state["model"],
                   optim_state_dict=state["optim"])
    return json.loads((directory / "trainer.json").read_text(encoding="utf-8"))
