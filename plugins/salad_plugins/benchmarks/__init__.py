"""Benchmark sources (local JSONL or Hugging Face ``datasets``) from a table of definitions.

Third-party plugins add a benchmark with
``benchmark_record(BenchmarkSpec(name, record, summary, local_file, parser, hf, hf_parser))``.
"""

from .hooks import BenchmarkConfig, benchmark_record
from .specs import BUILTIN, BenchmarkSpec, HFSpec

__all__ = ["BUILTIN", "BenchmarkConfig", "BenchmarkSpec", "HFSpec", "benchmark_record"]
