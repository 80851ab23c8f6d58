"""Data preparation: the miniature's text and speech sets."""

from .mini import MiniDataConfig, MiniSummary, prepare_mini

__all__ = ["MiniDataConfig", "MiniSummary", "prepare_mini"]
