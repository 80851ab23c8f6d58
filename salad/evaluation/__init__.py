"""Benchmark evaluation: few-shot prompts, batched log-likelihood scoring, score cache."""

from .cache import ScoreCache, cache_key
from .loglik import ContinuationScore, LoglikScorer, ScoreRequest, prefix_ids_of
from .prompts import PromptFormat, TextRequest, build_requests, render_shot, select_shots
from .scoring import BenchmarkResult, ItemScore, TextContexts, evaluate

__all__ = [
    "BenchmarkResult",
    "ContinuationScore",
    "ItemScore",
    "LoglikScorer",
    "PromptFormat",
    "ScoreCache",
    "ScoreRequest",
    "TextContexts",
    "TextRequest",
    "build_requests",
    "cache_key",
    "evaluate",
    "prefix_ids_of",
    "render_shot",
    "select_shots",
]
