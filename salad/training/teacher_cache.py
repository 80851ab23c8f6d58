"""The frozen teacher's top-k next-token log-probs for every training window, computed once.

The teacher always reads a window as plain text, whatever the student's modalities, so its
outputs depend on the window alone and can be cached for the whole run (and reused on resume).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..data.files import atomic_path
from ..data.progress import progress_bar
from ..speech.interleave import collate
from ..speech.model import teacher_logits
from ..speech.teacher import TeacherTopK
from .data import ExampleBuilder, Utterance


class TeacherCache:
    def __init__(self, logprobs: torch.Tensor, indices: torch.Tensor, offsets: list[int]):
        self.logprobs, self.indices, self.offsets = logprobs, indices, offsets

    def lookup(self, window_ids: Sequence[int], batch) -> TeacherTopK:
        """Top-k rows for the pairs of ``batch`` whose examples are ``window_ids``."""
        width = batch.teacher_ids.shape[1]
        q = batch.teacher_pos - batch.example_index * width
        base = torch.tensor([self.offsets[w] for w in window_ids])[batch.example_index]
        rows = base + q
        return TeacherTopK(self.logprobs[rows].float(), self.indices[rows].long())

    @staticmethod
    def fingerprint(windows: Sequence[Sequence[Utterance]], teacher_key: str, k: int) -> str:
        h = hashlib.sha256(f"{teacher_key}|{k}".encode())
        for w in windows:
            h.update(json.dumps([u.text for u in w]).encode())
        return h.hexdigest()[:16]

    @classmethod
    def build(cls, teacher, builder: ExampleBuilder, windows: Sequence[Sequence[Utterance]],
              k: int, path: Path, teacher_key: str, batch_size: int = 16) -> TeacherCache:
        fp = cls.fingerprint(windows, teacher_key, k)
        if path.exists():
            data = load_file(str(path))
            if bytes(data["fingerprint"].tolist()).decode() == fp:
                return cls(data["logprobs"], data["indices"], data["offsets"].tolist())
        chunks_lp, chunks_ix, offsets, total = [], [], [], 0
        for start in progress_bar(range(0, len(windows), batch_size), desc="teacher top-k",
                                  unit="batch"):
            group = windows[start:start + batch_size]
            layouts = builder.text_layouts(group)
            batch = collate(layouts)
            with torch.no_grad():
                top = TeacherTopK.from_logits(teacher_logits(teacher, batch), k)
            chunks_lp.append(top.logprobs.to(torch.float16))
            chunks_ix.append(top.indices.to(torch.int32))
            for lay in layouts:
                offsets.append(total)
                total += len(lay.pairs)
        cache = cls(torch.cat(chunks_lp), torch.cat(chunks_ix), offsets)
        with atomic_path(path) as tmp:
            save_file({"logprobs": cache.logprobs, "indices": cache.indices,
                       "offsets": torch.tensor(offsets, dtype=torch.long),
                       "fingerprint": torch.tensor(list(fp.encode()), dtype=torch.uint8)},
                      str(tmp))
        return cache
