"""salad.data.audio: resampling, checks, augmentation and atomic I/O."""

from __future__ import annotations

import numpy as np
import pytest

from salad.core.errors import SaladError
from salad.data.audio import (
    Augmentation,
    check_audio,
    read_audio,
    resample,
    rms_dbfs,
    speed_perturb,
    to_mono_float32,
    write_audio,
)

SR = 22050


def tone(seconds=1.0, sr=SR, freq=440.0, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("orig,target", [(22050, 16000), (8000, 16000), (32000, 16000),
                                         (16000, 16000), (44100, 22050)])
def test_resample_length_and_dtype(orig, target):
    x = tone(1.5, orig)
    y = resample(x, orig, target)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) == int(np.ceil(len(x) * target / orig))


def test_resample_keeps_frequency():
    y = resample(tone(1.0, SR, freq=300.0), SR, 16000)
    peak_hz = np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)
    assert abs(peak_hz - 300.0) < 2.0


def test_to_mono_float32_scales_int_pcm_and_averages_channels():
    pcm = np.array([[32767, -32768], [0, 0]], dtype=np.int16)
    out = to_mono_float32(pcm)
    assert out.dtype == np.float32 and out.shape == (2,)
    assert np.allclose(out, [0.0, 0.0], atol=1e-4)
    assert to_mono_float32(np.array([2.0, -3.0])).tolist() == [1.0, -1.0]
    with pytest.raises(SaladError, match="shape"):
        to_mono_float32(np.zeros((2, 2, 2)))


def test_check_audio_accepts_speechlike_level():
    assert check_audio(tone(1.0, amp=0.3), SR) is None


@pytest.mark.parametrize("audio,reason", [
    (np.zeros(SR, dtype=np.float32), "silent"),
    (np.full(SR, 1e-5, dtype=np.float32), "silent"),
    (np.clip(tone(1.0, amp=3.0), -1, 1), "clipped"),
    (tone(0.1), "too short"),
    (tone(31.0), "too long"),
    (np.array([], dtype=np.float32), "empty"),
    (np.array([0.1, np.nan] * SR, dtype=np.float32), "non-finite"),
])
def test_check_audio_reasons(audio, reason):
    got = check_audio(audio, SR)
    assert got is not None and got.startswith(reason), got


def test_check_audio_tolerates_a_single_full_scale_peak():
    x = tone(1.0, amp=0.5)
    x[100] = 1.0  # peak-normalised engines (Piper) touch full scale once
    assert check_audio(x, SR) is None


def test_speed_perturb_changes_length():
    x = tone(2.0)
    assert abs(len(speed_perturb(x, 1.1)) - len(x) / 1.1) < 5
    assert abs(len(speed_perturb(x, 0.9)) - len(x) / 0.9) < 5


def test_augmentation_is_deterministic_per_seed():
    aug = Augmentation(speed=(0.9, 1.1), gain_db=(-6, 3), snr_db=(15, 30))
    x = tone(1.0)
    a, b, c = aug.apply(x, SR, seed=7), aug.apply(x, SR, seed=7), aug.apply(x, SR, seed=8)
    assert np.array_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a, c)
    assert aug.draw(7) == aug.draw(7)
    assert a.dtype == np.float32 and np.abs(a).max() <= 1.0


def test_augmentation_noise_hits_requested_snr():
    aug = Augmentation(snr_db=(10.0, 10.0))
    x = tone(2.0, amp=0.3)
    y = aug.apply(x, SR, seed=1)
    noise = y - x
    snr = rms_dbfs(x) - rms_dbfs(noise)
    assert abs(snr - 10.0) < 0.5


def test_default_augmentation_is_identity():
    x = tone(0.5)
    assert np.array_equal(Augmentation().apply(x, SR, seed=3), x)


def test_augmentation_rejects_bad_ranges():
    with pytest.raises(ValueError, match="low"):
        Augmentation(gain_db=(3, -3))


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_write_read_roundtrip_is_atomic(tmp_path, suffix):
    x = tone(0.5, 16000)
    path = write_audio(tmp_path / "sub" / f"a{suffix}", x, 16000)
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temp files left"
    y, sr = read_audio(path)
    assert sr == 16000 and np.allclose(x, y, atol=1e-3)
    z, sr2 = read_audio(path, target_sr=8000)
    assert sr2 == 8000 and len(z) == len(x) // 2


def test_read_audio_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(SaladError, match="broken.wav"):
        read_audio(bad)
    with pytest.raises(SaladError, match="suffix"):
        write_audio(tmp_path / "x.mp3", tone(0.1), SR)
