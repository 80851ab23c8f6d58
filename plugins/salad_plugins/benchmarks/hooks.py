"""Benchmark sources: ten built-in benchmarks plus a generic local-JSONL benchmark."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salad import ComponentRecord, hookimpl

from .specs import BUILTIN, LOCAL_FORMATS, BenchmarkSpec


class HFSourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(description="Hugging Face dataset id, e.g. allenai/openbookqa")
    config: str | None = Field(None, description="Dataset configuration name")
    splits: list[str] = Field(["test"], min_length=1)
    data_dir: str | None = Field(None, description="Manually downloaded data (StoryCloze)")
    revision: str | None = None


class BenchmarkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str | None = Field(None, description="Local JSONL file (default: "
                             "<data_dir>/<benchmark file>)")
    data_dir: str | None = Field(None, description="Folder holding the benchmark's local file "
                                 "(default: $SALAD_BENCHMARKS_DIR)")
    hf: HFSourceConfig | bool = Field(False, description="true: the public dataset on the hub; "
                                      "or an explicit {dataset, config, splits}")
    limit: int | None = Field(None, ge=1, description="Seeded subset of this many items")
    seed: int = Field(0, description="Seed for the `limit` subset")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.path or self.data_dir) and self.hf:
            raise ValueError("set either a local file (`path`, `data_dir`) or `hf`, not both")
        return self


class JsonlBenchmarkConfig(BenchmarkConfig):
    name: str = Field("custom", pattern=r"^[A-Za-z0-9_.-]+$", description="Benchmark name")
    format: Literal[tuple(LOCAL_FORMATS)] = "multiple_choice"  # type: ignore[valid-type]


def benchmark_record(spec: BenchmarkSpec) -> ComponentRecord:
    """A registry record for ``spec`` (use this from third-party plugins too)."""
    from .source import build_source

    return ComponentRecord(
        name=spec.record, version=spec.version, config=BenchmarkConfig,
        factory=build_source(spec), summary=spec.summary,
        ports=lambda c, s=spec: {"benchmark": s.name})


def _build_jsonl(config: JsonlBenchmarkConfig):
    from .source import BenchmarkSourceImpl

    parser = LOCAL_FORMATS[config.format]
    spec = BenchmarkSpec(config.name, "salad.jsonl_benchmark.v1", "local JSONL",
                         f"{config.name}.jsonl", parser, hf_parser=parser)
    return BenchmarkSourceImpl(spec, config)


@hookimpl
def salad_benchmarks():
    records = [benchmark_record(spec) for spec in BUILTIN]
    records.append(ComponentRecord(
        name="salad.jsonl_benchmark.v1", version="1.0.0", config=JsonlBenchmarkConfig,
        factory=_build_jsonl,
        summary="Any local JSONL benchmark in one of the built-in formats.",
        ports=lambda c: {"benchmark": c.name}))
    return records
