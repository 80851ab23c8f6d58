"""Whisper ASR on the packaged models and the TTS quality filter (WER of synthesized speech).

Needs the pip extras ``asr`` and ``tts`` and Debian flite + festival with its voices.
"""

from __future__ import annotations

import pytest

from salad.asr import TTSQualityFilter, WhisperTranscriber, corpus_wer, whisper_model_dir
from salad.asr.models import REQUIRED_FILES
from salad.core.errors import SaladError
from salad.core.plugin_host import get_host

SENTENCES = [
    "She opened the window and looked at the garden.",
    "We should leave early if we want to catch the train.",
    "Please put the books back on the shelf when you are done.",
]
VOICES = [
    ("salad.piper_tts.v1", "joe"),
    ("salad.flite_tts.v1", "kal"),
    ("salad.flite_tts.v1", "kal16"),
    ("salad.flite_tts.v1", "awb"),
    ("salad.flite_tts.v1", "rms"),
    ("salad.flite_tts.v1", "slt"),
    ("salad.festival_tts.v1", "kal_diphone"),
    ("salad.festival_tts.v1", "ked_diphone"),
    ("salad.festival_tts.v1", "cmu_us_slt_arctic_hts"),
]


@pytest.fixture(scope="module")
def tiny():
    return WhisperTranscriber("tiny.en")


@pytest.fixture(scope="module")
def engines():
    registry = get_host().registry("tts_engine")
    return {name: registry.build(name) for name in {n for n, _ in VOICES}}


def test_packaged_models_are_complete(tmp_path):
    assert all((whisper_model_dir("tiny.en") / f).is_file() for f in REQUIRED_FILES)
    base = whisper_model_dir("base", cache_dir=tmp_path)
    assert base.parent.parent == tmp_path
    assert all((base / f).is_file() for f in REQUIRED_FILES)
    size = (base / "model.bin").stat().st_size
    assert whisper_model_dir("base", cache_dir=tmp_path) == base  # reused, not rebuilt
    assert (base / "model.bin").stat().st_size == size
    assert not [p for p in base.parent.iterdir() if p.name.startswith(".")], "no temp dirs left"


def test_model_dir_errors(tmp_path):
    with pytest.raises(SaladError, match="missing model.bin"):
        whisper_model_dir(tmp_path)
    with pytest.raises(SaladError, match="unknown Whisper model"):
        whisper_model_dir("large-v9")


@pytest.mark.parametrize("name,voice", [VOICES[0], VOICES[5], VOICES[6]])
def test_one_sentence_per_engine_transcribes_back(tiny, engines, name, voice):
    quality = TTSQualityFilter(tiny, max_wer=0.15)
    engine = engines[name]
    score = quality.score(SENTENCES[0], engine.synthesize(SENTENCES[0], voice),
                          engine.sample_rate)
    assert score.passed, score


def test_quality_filter_flags_wrong_audio(tiny, engines):
    engine = engines["salad.flite_tts.v1"]
    audio = engine.synthesize("Completely different words are spoken here.", "slt")
    score = TTSQualityFilter(tiny).score(SENTENCES[1], audio, engine.sample_rate)
    assert not score.passed and score.wer > 0.5
    assert score.as_dict()["ref_words"] == 11


@pytest.mark.slow
@pytest.mark.parametrize("name,voice", VOICES)
def test_voice_word_error_under_15_percent(tiny, engines, name, voice):
    engine = engines[name]
    pairs = [(t, tiny.transcribe(engine.synthesize(t, voice), engine.sample_rate))
             for t in SENTENCES]
    assert corpus_wer(pairs) < 0.15, pairs


@pytest.mark.slow
def test_whisper_base_transcribes(engines):
    asr = WhisperTranscriber("base")
    engine = engines["salad.piper_tts.v1"]
    text = asr.transcribe(engine.synthesize(SENTENCES[2], "joe"), engine.sample_rate)
    assert corpus_wer([(SENTENCES[2], text)]) < 0.15, text
    assert "base" in asr.model_id()
