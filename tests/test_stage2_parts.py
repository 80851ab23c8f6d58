"""Stage II's small parts: halvable texts, the natural + synthetic mix, checkpoints of other
stages, the voice check and the synthesis job's ASR quality check."""

from __future__ import annotations

import json

import pytest

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.text import first_halves, halvable
from salad.evaluation.run_models import resolve_target
from salad.stages.stage2.spec import Stage2StageConfig, check
from salad.training.data import mix_windows


def test_first_halves_keep_texts_in_the_word_range():
    records = [TextRecord("a", "one two three four five six", "s"),
               TextRecord("b", "too short", "s"),
               TextRecord("c", "w " * 9 + "end", "s")]
    assert [halvable(r.text, (4, 8)) for r in records] == [True, False, False]
    halves = first_halves(records, None, (2, 12))
    assert [(h.id, h.text) for h in halves] == [("a#h1", "one two three"), ("b#h1", "too"),
                                                 ("c#h1", "w w w w w")]
    assert [h.id for h in first_halves(records, 1, (2, 12))] == ["a#h1"]


@pytest.mark.parametrize("n_natural,n_synthetic,share", [(100, 20, 0.5), (10, 20, 0.75),
                                                         (30, 30, 0.25)])
def test_mix_reaches_the_synthetic_share(n_natural, n_synthetic, share):
    natural = [["n", i] for i in range(n_natural)]
    synthetic = [["s", i] for i in range(n_synthetic)]
    mixed = mix_windows(natural, synthetic, share, seed=0)
    got = sum(w[0] == "s" for w in mixed) / len(mixed)
    assert got == pytest.approx(share, abs=0.05)
    assert {tuple(w) for w in synthetic} <= {tuple(w) for w in mixed}  # every text is used
    assert mixed == mix_windows(natural, synthetic, share, seed=0)  # seeded
    assert mix_windows(natural, synthetic, None, 0) == natural + synthetic


def _run_dir(tmp_path):
    (tmp_path / "recipe.yaml").write_text("name: x\n")
    for stage in ("stage1", "stage2"):
        ckpt = tmp_path / stage / "checkpoints" / "final"
        ckpt.mkdir(parents=True)
        (ckpt / "model.safetensors").write_bytes(b"")
    return tmp_path


def test_checkpoints_of_other_stages_resolve_by_prefix(tmp_path):
    run = _run_dir(tmp_path)
    assert resolve_target(run, "final")[1] == run / "stage1" / "checkpoints" / "final"
    assert resolve_target(run, "stage2/final")[1] == run / "stage2" / "checkpoints" / "final"
    with pytest.raises(SaladError, match="stage3/final"):
        resolve_target(run, "stage3/final")  # no silent fallback to the untrained student
    assert resolve_target(run, "initial")[1] is None


def test_stage2_config_checks_the_voice_and_budget():
    base = {"pool": "p.jsonl", "voice": "joe", "train_manifest": "t.jsonl",
            "heldout": [{"name": "h", "speech": "s.jsonl", "texts": "t.jsonl"}],
            "selection": {"utterances": 10}}
    cfg = Stage2StageConfig.model_validate(base)
    assert cfg.warmup_steps == 0 and cfg.decay_fraction == 1.0  # decays from Stage I's peak
    assert [p.message for p in check(cfg, {"tts": {"voices": ["joe"]}})] == []
    problems = list(check(cfg, {"tts": {"voices": ["amy"]}}))
    assert problems and "'joe'" in problems[0].message
    with pytest.raises(ValueError, match="budget"):
        Stage2StageConfig.model_validate({**base, "selection": {"mode": "uniform"}})


def test_synthesis_job_transcribes_for_the_quality_check(tmp_path):
    pytest.importorskip("faster_whisper")
    pytest.importorskip("piper")
    from salad.synthesis import SynthesisConfig, run_synthesis

    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": f"t{i}", "text": t, "source": "s"}) + "\n"
                             for i, t in enumerate(["The cat sat on the mat.",
                                                    "Interest rates rose again."])))
    cfg = {"input": str(texts), "output": str(tmp_path / "speech.jsonl"),
           "cache_dir": str(tmp_path / "cache"), "progress": False,
           "voices": [{"engine": "salad.piper_tts.v1", "voice": "joe"}]}
    run_synthesis(SynthesisConfig.model_validate(cfg))
    plain = [json.loads(line) for line in (tmp_path / "speech.jsonl").read_text().splitlines()]
    assert all("transcript" not in row for row in plain)
    summary = run_synthesis(SynthesisConfig.model_validate({**cfg, "transcribe": "tiny.en"}))
    assert summary.written == 2 and summary.cache_hits == 2  # redone from the cached audio
    rows = [json.loads(line) for line in (tmp_path / "speech.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["cer"] < 0.2, row
        assert row["transcript"].strip()
