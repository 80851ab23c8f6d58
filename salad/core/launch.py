"""Where this process runs: the device choices a recipe may name, and the process's place
among the workers of a ``torchrun`` launch. Torch-free to import: the recipe schema and the
runner (which lets only rank 0 write the run directory's files) read it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

Device = Literal["auto", "cpu", "cuda"]  # a recipe's ``device`` (salad.training.device)
T = TypeVar("T")


@dataclass(frozen=True)
class World:
    """This process's place among the workers (rank 0 of 1 without ``torchrun``)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def joined(self) -> bool:
        import torch.distributed as dist

        return dist.is_available() and dist.is_initialized()

    def barrier(self) -> None:
        if self.joined:
            import torch.distributed as dist

            dist.barrier()

    def main_first(self, compute: Callable[[], T]) -> T:
        """``compute()`` on rank 0, then on the other ranks: for work that caches its result,
        which rank 0 computes and the others then read."""
        if not self.main:
            self.barrier()
        value = compute()
        if self.main:
            self.barrier()
        return value

    def from_main(self, value: T) -> T:
        """Rank 0's ``value`` on every rank (the other ranks pass None and wait for it)."""
        if not self.joined:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order, on every rank (``[value]`` on one process)."""
        if not self.joined:
            return [value]
        import torch.distributed as dist

        values: list = [None] * self.size
        dist.all_gather_object(values, value)
        return values

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum of ``values`` over the ranks (unchanged on one process)."""
        if not self.joined:
            return list(values)
        import torch
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64)
        if dist.get_backend() == "nccl":
            t = t.cuda()
        dist.all_reduce(t)
        return t.cpu().tolist()


def env_world() -> World:
    """The world ``torchrun`` describes in the environment."""
    return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                 int(os.environ.get("LOCAL_RANK", 0)))
