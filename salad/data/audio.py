"""Audio handling shared by TTS, data preparation, encoders and evaluation.

Everything here works on mono ``float32`` numpy arrays in ``[-1, 1]`` plus an explicit sample
rate. Main entry points:

- :func:`read_audio` / :func:`write_audio`: wav/flac via ``soundfile``; writes are atomic, a
  truncated WAV is an error (:func:`wav_truncation`).
- :func:`to_mono_float32`: normalise any engine output (ints, stereo, float64) to the convention.
- :func:`resample`: polyphase resampling (``scipy.signal.resample_poly``), e.g. to the encoder's
  16 kHz (:data:`TARGET_SAMPLE_RATE`).
- :class:`Augmentation`: seeded speed / gain / additive-noise perturbation for pseudo-speaker
  variety; ``Augmentation(...).apply(audio, sr, seed=...)`` is deterministic per seed.
- :func:`check_audio`: ``None`` for usable audio, otherwise a short reason string (``"silent"``,
  ``"clipped ..."``, ``"too short ..."``, ...) so a job can skip and count bad syntheses.

numpy is imported at module level; scipy and soundfile only inside the functions that need them.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.errors import SaladError
from .files import atomic_path

TARGET_SAMPLE_RATE = 16000
"""Rate every speech encoder in SALAD reads (Whisper, fbank)."""


def to_mono_float32(audio: np.ndarray) -> np.ndarray:
    """Return ``audio`` as a 1-D float32 array in ``[-1, 1]``.

    Integer PCM is scaled by its type's range; 2-D input ``(samples, channels)`` is averaged over
    channels; float input is clipped to ``[-1, 1]``.
    """
    arr = np.asarray(audio)
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        arr = arr.astype(np.float32) / float(max(abs(info.min), info.max))
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 2:
        arr = arr.mean(axis=1)
    elif arr.ndim != 1:
        raise SaladError(f"audio must be 1-D or (samples, channels); got shape {arr.shape}")
    return np.clip(arr, -1.0, 1.0).astype(np.float32, copy=False)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int = TARGET_SAMPLE_RATE) -> np.ndarray:
    """Resample mono audio from ``orig_sr`` to ``target_sr`` (polyphase, anti-aliased).

    The output has ``ceil(len * target_sr / orig_sr)`` samples and is float32 in ``[-1, 1]``.
    """
    if orig_sr <= 0 or target_sr <= 0:
        raise SaladError(f"sample rates must be positive (got {orig_sr} -> {target_sr})")
    audio = to_mono_float32(audio)
    if orig_sr == target_sr or audio.size == 0:
        return audio.copy()
    from scipy.signal import resample_poly

    g = np.gcd(int(orig_sr), int(target_sr))
    out = resample_poly(audio, int(target_sr) // g, int(orig_sr) // g)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def duration_s(audio: np.ndarray, sample_rate: int) -> float:
    return float(len(audio)) / float(sample_rate)


def rms_dbfs(audio: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (``-inf`` for digital silence)."""
    if audio.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def check_audio(
    audio: np.ndarray,
    sample_rate: int,
    *,
    min_duration_s: float = 0.3,
    max_duration_s: float = 30.0,
    silence_dbfs: float = -50.0,
    clip_level: float = 0.999,
    max_clipped_fraction: float = 0.001,
) -> str | None:
    """Return ``None`` when ``audio`` is usable, else a one-line reason to reject it.

    Checks, in order: non-finite samples, duration limits, silence (RMS below ``silence_dbfs``)
    and clipping (more than ``max_clipped_fraction`` of samples at ``|x| >= clip_level``).
    """
    audio = np.asarray(audio)
    if audio.ndim != 1:
        return f"not mono (shape {audio.shape})"
    if audio.size == 0:
        return "empty"
    if not np.all(np.isfinite(audio)):
        return "non-finite samples"
    dur = duration_s(audio, sample_rate)
    if dur < min_duration_s:
        return f"too short ({dur:.2f} s < {min_duration_s} s)"
    if dur > max_duration_s:
        return f"too long ({dur:.2f} s > {max_duration_s} s)"
    level = rms_dbfs(audio)
    if level < silence_dbfs:
        return f"silent (RMS {level:.1f} dBFS < {silence_dbfs} dBFS)"
    clipped = float(np.mean(np.abs(audio) >= clip_level))
    if clipped > max_clipped_fraction:
        return f"clipped ({clipped:.2%} of samples at full scale)"
    return None


def speed_perturb(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play ``audio`` ``factor`` times faster (tempo and pitch change together, as in Kaldi).

    The result has about ``len(audio) / factor`` samples at the same sample rate.
    """
    if factor <= 0:
        raise SaladError(f"speed factor must be positive (got {factor})")
    if abs(factor - 1.0) < 1e-6:
        return to_mono_float32(audio).copy()
    ratio = Fraction(factor).limit_denominator(200)
    return resample(audio, ratio.numerator, ratio.denominator)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise at signal-to-noise ratio ``snr_db`` (relative to the RMS)."""
    audio = to_mono_float32(audio)
    power = float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0
    if power == 0.0:
        return audio.copy()
    noise_power = power / (10.0 ** (snr_db / 10.0))
    noise = rng.standard_normal(audio.shape) * np.sqrt(noise_power)
    return np.clip(audio + noise, -1.0, 1.0).astype(np.float32)


def apply_gain(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` decibels; the peak is kept below full scale (no new clipping)."""
    out = to_mono_float32(audio) * np.float32(10.0 ** (gain_db / 20.0))
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0.99:
        out = out * np.float32(0.99 / peak)
    return out.astype(np.float32)


class Augmentation(BaseModel):
    """Random perturbation drawn per utterance; the identity when every range is degenerate.

    Ranges are inclusive ``[low, high]``; a value is drawn uniformly from each. ``snr_db=None``
    adds no noise. ``apply(audio, sr, seed=s)`` draws with ``numpy.random.default_rng(s)``, so the
    same seed gives the same audio.
    """

    model_config = ConfigDict(extra="forbid")
    speed: tuple[float, float] = Field((1.0, 1.0), description="tempo+pitch factor range")
    gain_db: tuple[float, float] = Field((0.0, 0.0), description="level change range (dB)")
    snr_db: tuple[float, float] | None = Field(None, description="white-noise SNR range (dB)")

    @model_validator(mode="after")
    def _check_ranges(self) -> Augmentation:
        for name in ("speed", "gain_db", "snr_db"):
            rng = getattr(self, name)
            if rng is not None and rng[0] > rng[1]:
                raise ValueError(f"{name}: low {rng[0]} > high {rng[1]}")
        if self.speed[0] <= 0:
            raise ValueError("speed: factors must be positive")
        return self

    def draw(self, seed: int) -> dict[str, float | int | None]:
        """The concrete parameters ``apply`` uses for ``seed`` (record them in manifests)."""
        rng = np.random.default_rng(seed)
        return {
            "speed": float(rng.uniform(*self.speed)),
            "gain_db": float(rng.uniform(*self.gain_db)),
            "snr_db": float(rng.uniform(*self.snr_db)) if self.snr_db else None,
            "noise_seed": int(rng.integers(0, 2**31 - 1)),
        }

    def apply(self, audio: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
        del sample_rate  # speed perturbation keeps the rate; kept for a uniform signature
        p = self.draw(seed)
        out = speed_perturb(audio, float(p["speed"] or 1.0))
        if p["gain_db"]:
            out = apply_gain(out, float(p["gain_db"]))
        if p["snr_db"] is not None:
            out = add_noise(out, float(p["snr_db"]), np.random.default_rng(int(p["noise_seed"])))
        return out


def wav_truncation(path: str | Path) -> str | None:
    """Why a RIFF/WAVE file is cut short (its data chunk declares more bytes than the file
    holds), or None. Other formats, and WAV files that are whole, give None."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        offset = 12
        while offset + 8 <= size:
            fh.seek(offset)
            chunk, length = fh.read(4), int.from_bytes(fh.read(4), "little")
            if chunk == b"data":
                have = size - offset - 8
                if length != 0xFFFFFFFF and length > have:  # 0xFFFFFFFF: written as a stream
                    return (f"truncated WAV: the header declares {length} bytes of samples, "
                            f"the file holds {have}")
                return None
            offset += 8 + length + (length & 1)
    return "truncated WAV: no data chunk"


def read_audio(path: str | Path, target_sr: int | None = None) -> tuple[np.ndarray, int]:
    """Read a wav/flac/ogg file as mono float32; resample when ``target_sr`` is given. A WAV
    file that is cut short is an error (libsndfile would read what is there)."""
    import soundfile as sf

    try:
        truncated = wav_truncation(path)
    except OSError as exc:
        raise SaladError(f"cannot read audio file {path}: {exc}") from exc
    if truncated:
        raise SaladError(f"audio file {path}: {truncated}")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise SaladError(f"cannot read audio file {path}: {exc}") from exc
    audio = to_mono_float32(data)
    if target_sr is not None and target_sr != sr:
        return resample(audio, sr, target_sr), target_sr
    return audio, int(sr)


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write mono audio atomically (temp file in the same folder, then ``os.replace``).

    The format follows the suffix (``.wav`` as 16-bit PCM, ``.flac``); a reader never sees a
    half-written file.
    """
    import soundfile as sf

    path = Path(path)
    fmt = {".wav": "WAV", ".flac": "FLAC"}.get(path.suffix.lower())
    if fmt is None:
        raise SaladError(f"{path}: unsupported audio suffix (use .wav or .flac)")
    with atomic_path(path) as tmp:
        sf.write(tmp, to_mono_float32(audio), int(sample_rate), format=fmt, subtype="PCM_16")
    return path
