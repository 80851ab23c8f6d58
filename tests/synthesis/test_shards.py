"""The synthesis job sharded over ranks: 2 ranks merge to the files of 1 process."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from salad.core.errors import SaladError
from salad.core.launch import World
from salad.data.manifests import read_speech_manifest
from salad.synthesis import SynthesisConfig, run_synthesis
from salad.synthesis.job import merge_synthesis, synthesize_shard

from ..helpers.torchrun import torchrun
from .conftest import calls, job_config

BAD = ["{not json", json.dumps({"id": "no-text"})]


def _files(cfg: dict) -> tuple[bytes, bytes]:
    return Path(cfg["output"]).read_bytes(), Path(f"{cfg['output']}.failures.jsonl").read_bytes()


def _two_ranks(cfg: dict):
    config = SynthesisConfig(**cfg)
    for rank in (1, 0):
        synthesize_shard(config, World(rank, 2))
    return merge_synthesis(config, 2)


def test_two_ranks_merge_to_the_files_of_one_process(tmp_path):
    one = job_config(tmp_path, n=9, extra_lines=BAD, fail_on="number 4 ")
    single = run_synthesis(SynthesisConfig(**one))
    two = {**one, "output": str(tmp_path / "two" / "speech.jsonl")}  # the same cache
    merged = _two_ranks(two)
    assert _files(one) == _files(two)
    assert (merged.total, merged.written, merged.cache_hits, merged.failed) == (11, 8, 8, 3)
    assert merged.failures_by_stage == single.failures_by_stage == {"input": 2, "synthesize": 1}
    assert merged.output == two["output"]
    out = Path(two["output"])
    shard = out.with_name("speech.shard-00001-of-00002.jsonl")
    assert [json.loads(x)["text_id"] for x in shard.read_text().splitlines()] == [
        "t001", "t003", "t005", "t007"]  # strided share of the task list
    assert all(Path(r.audio).is_file() for r in read_speech_manifest(out).records)


def test_a_rerun_redoes_only_the_unfinished_rank(tmp_path):
    cfg = job_config(tmp_path, n=8)
    config = SynthesisConfig(**cfg)
    synthesize_shard(config, World(0, 2))
    with pytest.raises(SaladError, match=r"speech\.jsonl\.summary\.shard-00001-of-00002\.json"):
        merge_synthesis(config, 2)
    assert not Path(cfg["output"]).exists()
    again = synthesize_shard(config, World(0, 2))
    assert (again.skipped_done, again.written) == (4, 0)
    rest = synthesize_shard(config, World(1, 2))
    assert (rest.skipped_done, rest.written, rest.synthesized) == (0, 4, 4)
    assert len(calls(tmp_path)) == 8  # nothing synthesized twice
    merged = merge_synthesis(config, 2)
    assert (merged.total, merged.skipped_done, merged.written) == (8, 4, 4)
    assert len(read_speech_manifest(cfg["output"]).records) == 8


@pytest.mark.slow
def test_torchrun_job_matches_one_process_after_a_rank_is_killed(tmp_path):
    runs = {}
    for size in (1, 2):
        cfg = {**job_config(tmp_path, n=7, extra_lines=BAD),
               "output": str(tmp_path / f"out{size}" / "speech.jsonl")}
        config = tmp_path / f"job{size}.json"
        config.write_text(json.dumps(cfg))
        if size == 2:  # rank 1 dies on its second text (t003); torchrun ends the launch
            killed = torchrun(2, ["data", "synthesize", str(config)], timeout=180,
                              env={"TONE_EXIT_ON": "number 3 "}, check=False)
            assert killed.returncode != 0 and not Path(cfg["output"]).exists()
            assert len(calls(tmp_path)) > 7  # t001 at least, besides the 1-process run's 7
        result = torchrun(size, ["data", "synthesize", str(config)], timeout=180)
        assert result.stdout.count("synthesis: 9 tasks; ") == 1, result.stdout
        runs[size] = _files(cfg)
        shutil.rmtree(cfg["cache_dir"])  # both runs synthesize every item
    assert runs[1] == runs[2]
    logged = calls(tmp_path)
    once, two_ranks = Counter(logged[:7]), Counter(logged[7:])  # 1 process; kill and rerun
    assert set(two_ranks) == set(once)
    # the rerun synthesized only what the kill left undone: at most the text rank 0 was
    # synthesizing when torchrun stopped it (its call logged, its audio not yet cached)
    assert (two_ranks - once).total() <= 1, two_ranks - once
