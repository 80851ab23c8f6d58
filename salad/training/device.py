"""Where training and evaluation run, and in which precision.

One place for the device choice (a recipe's ``device: auto | cpu | cuda``) and the dtype
policy: bf16 autocast on CUDA, fp32 on CPU unless a stage asks for bf16 (on the project's CPUs
bf16 matmul is slower than fp32). Both functions take the facts they depend on (is CUDA there,
does it do bf16) as arguments, so tests check the logic itself on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import torch

from ..core.errors import SaladError
from ..core.launch import Device

DEVICES = get_args(Device)


def resolve_device(spec: str, local_rank: int = 0,
                   cuda_available: bool | None = None) -> torch.device:
    """The torch device for a recipe's ``device``; ``local_rank`` picks the GPU of a
    ``torchrun`` worker."""
    if spec not in DEVICES:
        raise SaladError(f"device {spec!r} is not one of {', '.join(DEVICES)}")
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    if spec == "cpu" or (spec == "auto" and not cuda_available):
        return torch.device("cpu")
    if not cuda_available:
        raise SaladError("the recipe asks for device: cuda, but torch sees no CUDA device "
                         f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}); use "
                         "device: auto or cpu, or install a CUDA build of torch")
    return torch.device("cuda", local_rank)


@dataclass(frozen=True)
class Precision:
    """How a device computes: autocast dtype (None = fp32), fused AdamW, pinned host memory."""

    device: torch.device
    autocast_dtype: torch.dtype | None
    fused_adamw: bool
    pin_memory: bool

    def autocast(self):
        """The autocast context of a forward pass (a no-op in fp32)."""
        return torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                              enabled=self.autocast_dtype is not None)


def precision_for(device: torch.device, bf16: bool | None = None,
                  bf16_supported: bool | None = None) -> Precision:
    """The dtype policy of ``device``. ``bf16``: None = the device's default (bf16 on CUDA
    where supported, fp32 on CPU); True or False forces it."""
    cuda = device.type == "cuda"
    if bf16_supported is None:
        bf16_supported = torch.cuda.is_bf16_supported() if cuda else True
    if bf16 and not bf16_supported:
        raise SaladError(f"bf16 was asked for, but {device} does not support bfloat16")
    use_bf16 = (cuda and bf16_supported) if bf16 is None else bf16
    return Precision(device, torch.bfloat16 if use_bf16 else None, fused_adamw=cuda,
                     pin_memory=cuda)
