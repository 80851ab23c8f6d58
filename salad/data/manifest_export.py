"""Speech manifests as lhotse cuts or as a Hugging Face ``datasets.Dataset``. A manifest with bad
lines is refused (a conversion would drop them silently), listing each with ``file:line``.

Both libraries are optional and imported inside the functions.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import SaladError
from .manifests import read_speech_manifest


def to_lhotse_cuts(manifest: str | Path):
    """A ``lhotse.CutSet`` with one mono cut per utterance: the recording points at the audio
    file; the supervision carries text, speaker (the voice label) and, in ``custom``, the
    engine, voice, domains, source and augmentation."""
    try:
        from lhotse import CutSet, Recording, SupervisionSegment
        from lhotse.cut import MonoCut
    except ImportError as exc:
        raise SaladError("reading manifests as lhotse cuts needs lhotse: "
                         "pip install 'salad-speech[lhotse]'") from exc
    cuts = []
    for rec in read_speech_manifest(manifest).require_clean().records:
        recording = Recording.from_file(rec.audio, recording_id=rec.id)
        sup = SupervisionSegment(
            id=rec.id, recording_id=rec.id, start=0.0, duration=recording.duration,
            channel=0, text=rec.text, speaker=rec.speaker or rec.voice, language="en",
            custom={"engine": rec.engine, "voice": rec.voice, "domains": rec.domains,
                    "source": rec.source, "text_id": rec.text_id,
                    "augmentation": rec.augmentation})
        cuts.append(MonoCut(id=rec.id, start=0.0, duration=recording.duration, channel=0,
                            recording=recording, supervisions=[sup]))
    return CutSet.from_cuts(cuts)


def to_hf_dataset(manifest: str | Path, decode_audio: bool = True):
    """A ``datasets.Dataset`` with the manifest's columns; ``audio`` is an ``Audio`` column at
    the manifest's sample rate (a plain path column when ``decode_audio`` is false)."""
    try:
        import datasets
    except ImportError as exc:
        raise SaladError("reading manifests as Hugging Face datasets needs datasets: "
                         "pip install 'salad-speech[data]'") from exc
    rows = []
    rates = set()
    for rec in read_speech_manifest(manifest).require_clean().records:
        row = dict(rec.__dict__)
        row["augmentation"] = dict(rec.augmentation or {})
        rows.append(row)
        rates.add(rec.sample_rate)
    if not rows:
        raise SaladError(f"speech manifest {manifest} is empty")
    ds = datasets.Dataset.from_list(rows)
    if decode_audio:
        if len(rates) > 1:
            raise SaladError(f"{manifest}: mixed sample rates {sorted(rates)}")
        ds = ds.cast_column("audio", datasets.Audio(sampling_rate=rates.pop()))
    return ds
