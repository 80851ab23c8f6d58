"""Speech manifests read back as lhotse cuts and as Hugging Face datasets."""

from __future__ import annotations

import pytest

from salad.data.manifest_export import to_hf_dataset, to_lhotse_cuts
from salad.synthesis import SynthesisConfig, run_synthesis

from .conftest import job_config


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    cfg = job_config(tmp, n=4)
    cfg["augment"] = {"gain_db": [-2, 0]}
    run_synthesis(SynthesisConfig(**cfg))
    return cfg["output"]


def test_lhotse_cuts(manifest):
    pytest.importorskip("lhotse", reason="lhotse missing: pip install 'salad-speech[lhotse]'")
    cuts = to_lhotse_cuts(manifest)
    assert len(cuts) == 4
    cut = next(iter(cuts))
    assert cut.sampling_rate == 16000 and cut.duration > 0.5
    sup = cut.supervisions[0]
    assert sup.text.startswith("text number") and sup.speaker.startswith("tone:")
    assert sup.custom["engine"] == "test.tone_tts.v1" and sup.custom["domains"]
    audio = cut.load_audio()
    assert audio.shape[0] == 1 and abs(audio.shape[1] / 16000 - cut.duration) < 1e-3


@pytest.mark.slow
def test_hf_dataset(manifest):
    pytest.importorskip("datasets", reason="datasets not installed (pip install datasets)")
    ds = to_hf_dataset(manifest, decode_audio=False)
    assert len(ds) == 4 and set(ds.column_names) >= {"id", "audio", "duration", "text", "voice",
                                                      "engine", "domains", "sample_rate"}
    assert ds[0]["augmentation"]["gain_db"] <= 0
    try:
        decoded = to_hf_dataset(manifest)[0]["audio"]
    except ImportError as exc:  # datasets >= 4 decodes audio with torchcodec
        pytest.skip(f"audio decoding backend missing: {exc}")
    array = decoded["array"] if isinstance(decoded, dict) else decoded.get_all_samples().data
    assert len(array) > 0
