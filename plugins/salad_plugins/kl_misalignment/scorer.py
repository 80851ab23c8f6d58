from __future__ import annotations

import torch
import torch.nn.functional as F

from .hooks import KLScorerConfig


class KLScorer:
    def __init__(self, config: KLScorerConfig):
        self.config = config

    @torch.no_grad()
    def score(self, reference_logits: torch.Tensor, other_logits: torch.Tensor) -> torch.Tensor:
        ref = F.log_softmax(reference_logits.float(), dim=-1)
        other = F.log_softmax(other_logits.float(), dim=-1)
        return (ref.exp() * (ref - other)).sum(-1).clamp_min(0.0)
