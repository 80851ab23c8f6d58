"""Readers of natural speech corpora for :func:`salad.data.speech_import.import_utterances`:
lhotse cut sets (LibriHeavy) and Hugging Face ``datasets`` (Emilia-YODAS-en), each row as an
:class:`~salad.data.speech_import.Utterance` (or a :class:`~salad.data.speech_import.BadRow`).

lhotse and datasets are optional: each is imported inside the function that reads it.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import SaladError
from .audio import TARGET_SAMPLE_RATE
from .speech_import import BadRow, ImportSummary, Utterance, import_utterances, lookup

WHOLE_FILE_TOLERANCE_S = 1e-3


# ---- lhotse ---------------------------------------------------------------------------------

def iter_cuts(cuts: Any) -> tuple[Iterable[Any], int | None]:
    """The cuts of a lhotse manifest path, or of a ``CutSet``, and their number where known.
    A ``.jsonl``/``.jsonl.gz`` manifest is read line by line: a line that is not a cut comes
    back as a :class:`BadRow` naming ``file:line`` instead of stopping the import."""
    try:
        from lhotse import CutSet
    except ImportError as exc:
        raise SaladError("importing lhotse cuts needs lhotse: "
                         "pip install 'salad-speech[lhotse]'") from exc
    if isinstance(cuts, CutSet):
        return cuts, None if cuts.is_lazy else len(cuts)
    path = Path(cuts)
    if not path.is_file():
        raise SaladError(f"lhotse cut manifest {path} not found")
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return _jsonl_cuts(path), None
    try:
        loaded = CutSet.from_file(path)
    except Exception as exc:  # noqa: BLE001 - lhotse raises many kinds; name the file
        raise SaladError(f"{path}: not a lhotse cut manifest ({type(exc).__name__}: {exc})"
                         ) from exc
    return loaded, len(loaded)


def _jsonl_cuts(path: Path) -> Iterator[Any]:
    from lhotse.cut.set import deserialize_cut

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                yield deserialize_cut(json.loads(raw))
            except Exception as exc:  # noqa: BLE001 - a bad line is this row's failure
                yield BadRow(f"{path}:{lineno}", "", f"{path}:{lineno}: not a cut "
                             f"({type(exc).__name__}: {str(exc)[:200]})")


def _cut_audio(cut, start: float, end: float):
    """The file of a cut that is one whole single-channel file, else the samples of
    ``[start, end)`` seconds of the cut."""
    if not cut.has_recording:
        raise SaladError(f"cut {cut.id} has no recording")
    rec = cut.recording
    if (abs(cut.start + start) < WHOLE_FILE_TOLERANCE_S
            and abs(end - start - rec.duration) < WHOLE_FILE_TOLERANCE_S
            and len(rec.sources) == 1 and rec.sources[0].type == "file"
            and rec.num_channels == 1 and not rec.transforms):
        path = Path(rec.sources[0].source)
        if not path.is_file():
            raise SaladError(f"audio file {path} not found")
        return str(path)
    seg = cut.truncate(offset=start, duration=end - start, preserve_id=True)
    samples = np.asarray(seg.load_audio())
    return (samples.T if samples.ndim == 2 else samples), int(seg.sampling_rate)


def lhotse_rows(cuts, text_key: str = "text", audio_root: str | Path | None = None
                ) -> Iterator[Utterance | BadRow]:
    """One utterance per supervision of each cut (its id, text at ``text_key`` of the
    supervision's dict, e.g. ``custom.texts.0``, speaker), cut to the supervision's span."""
    for cut in cuts:
        if isinstance(cut, BadRow):
            yield cut
            continue
        if audio_root is not None:
            cut = cut.with_recording_path_prefix(str(audio_root))
        recording = getattr(cut, "recording_id", None) or cut.id
        sups = sorted(cut.supervisions, key=lambda s: s.start)
        if not sups:
            yield BadRow(cut.id, recording, "the cut has no supervision (no text)")
        for sup in sups:
            uid = sup.id if len(sups) > 1 else cut.id
            text = lookup(sup.to_dict(), text_key)
            if not isinstance(text, str) or not text.strip():
                yield BadRow(uid, recording, f"supervision {sup.id}: no text at {text_key!r}")
                continue
            start, end = max(sup.start, 0.0), min(sup.end, cut.duration)
            if end <= start:
                yield BadRow(uid, recording, f"supervision {sup.id} lies outside its cut")
                continue
            yield Utterance(uid, " ".join(text.split()), recording,
                            partial(_cut_audio, cut, start, end), start=cut.start + start,
                            speaker=sup.speaker or "")


def import_lhotse(cuts: Any, output: str | Path, *, source: str = "lhotse",
                  text_key: str = "text", audio_root: str | Path | None = None,
                  audio_dir: str | Path | None = None,
                  sample_rate: int | None = TARGET_SAMPLE_RATE, retry_failed: bool = False,
                  progress: bool = True) -> ImportSummary:
    """A lhotse cut set (a manifest path or a ``CutSet``) -> the speech manifest ``output``."""
    cut_iter, total = iter_cuts(cuts)
    return import_utterances(lhotse_rows(cut_iter, text_key, audio_root), output, source=source,
                             audio_dir=audio_dir, sample_rate=sample_rate,
                             retry_failed=retry_failed, total=total, progress=progress,
                             desc=f"import {source}")


# ---- Hugging Face datasets --------------------------------------------------------------------

def load_hf(dataset: Any, split: str | None = "train", streaming: bool = False):
    """A ``datasets`` dataset: as given, from a ``save_to_disk`` folder, or by
    ``load_dataset`` (a data folder or a hub id); ``split`` picks from a ``DatasetDict``."""
    try:
        import datasets
    except ImportError as exc:
        raise SaladError("importing Hugging Face datasets needs datasets: "
                         "pip install 'salad-speech[data]'") from exc
    ds = dataset
    if isinstance(dataset, (str, Path)):
        path = Path(dataset)
        try:
            if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
                ds = datasets.load_from_disk(str(path))
            else:
                ds = datasets.load_dataset(str(dataset), split=split, streaming=streaming)
        except Exception as exc:  # noqa: BLE001 - datasets raises many kinds; name the source
            raise SaladError(f"cannot load dataset {dataset}: {type(exc).__name__}: {exc}"
                             ) from exc
    if isinstance(ds, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        if split not in ds:
            raise SaladError(f"dataset {dataset} has no split {split!r} "
                             f"(splits: {', '.join(ds)})")
        ds = ds[split]
    return ds


def _hf_audio(value: Any, base: Path | None):
    """A row's audio value (a path, ``{"path", "bytes"}``, ``{"array", "sampling_rate"}``
    or a decoder with ``get_all_samples``) as a file path or ``(samples, rate)``."""
    if isinstance(value, dict) and value.get("array") is not None:
        arr = np.asarray(value["array"])
        if arr.ndim == 2 and arr.shape[0] < arr.shape[1]:
            arr = arr.T  # (channels, samples) -> (samples, channels)
        rate = value.get("sampling_rate")
        if not isinstance(rate, int) or rate <= 0:
            raise SaladError(f"audio array without a valid sampling_rate ({rate!r})")
        return arr, rate
    if isinstance(value, dict) and value.get("bytes"):
        import soundfile as sf

        try:
            data, rate = sf.read(io.BytesIO(value["bytes"]), dtype="float32", always_2d=False)
        except (RuntimeError, sf.LibsndfileError) as exc:
            raise SaladError(f"cannot decode the audio bytes: {exc}") from exc
        return data, int(rate)
    if hasattr(value, "get_all_samples"):  # a torchcodec AudioDecoder (datasets >= 4)
        samples = value.get_all_samples()
        return np.asarray(samples.data).T, int(samples.sample_rate)
    path = value.get("path") if isinstance(value, dict) else value
    if not isinstance(path, str) or not path:
        raise SaladError(f"no audio (got {type(value).__name__})")
    p = Path(path)
    if not p.is_absolute() and base is not None and not p.is_file():
        p = base / p
    if not p.is_file():
        raise SaladError(f"audio file {path} not found")
    return str(p)


def hf_rows(ds, *, audio_column: str = "audio", text_column: str = "text",
            speaker_column: str | None = "speaker", id_column: str | None = "id",
            recording_column: str | None = None, source: str = "hf",
            base: Path | None = None) -> Iterator[Utterance | BadRow]:
    """One utterance per row. Columns may be dotted (``json.text``). The recording (one
    ``domains`` value, consecutive rows in order) is ``recording_column``, else the speaker,
    else the whole dataset; the id is ``id_column``, else ``<source>:<row index>``."""
    import datasets

    features = getattr(ds, "features", None) or {}
    if isinstance(features.get(audio_column), datasets.Audio):  # paths and bytes, no decoding
        ds = ds.cast_column(audio_column, datasets.Audio(decode=False))
    for i, row in enumerate(ds):
        uid = lookup(row, id_column) if id_column else None
        uid = str(uid) if uid not in (None, "") else f"{source}:{i}"
        speaker = lookup(row, speaker_column) if speaker_column else None
        speaker = str(speaker) if speaker not in (None, "") else ""
        recording = lookup(row, recording_column) if recording_column else None
        recording = str(recording) if recording not in (None, "") else (speaker or source)
        text = lookup(row, text_column)
        if not isinstance(text, str) or not text.strip():
            yield BadRow(uid, recording, f"row {i}: no text in column {text_column!r}")
            continue
        value = lookup(row, audio_column)
        if value is None:
            yield BadRow(uid, recording, f"row {i}: no audio in column {audio_column!r}")
            continue
        yield Utterance(uid, " ".join(text.split()), recording, partial(_hf_audio, value, base),
                        start=float(i), speaker=speaker)


def import_hf(dataset: Any, output: str | Path, *, split: str | None = "train",
              audio_column: str = "audio", text_column: str = "text",
              speaker_column: str | None = "speaker", id_column: str | None = "id",
              recording_column: str | None = None, source: str = "hf", streaming: bool = False,
              audio_dir: str | Path | None = None, sample_rate: int | None = TARGET_SAMPLE_RATE,
              retry_failed: bool = False, progress: bool = True) -> ImportSummary:
    """A Hugging Face dataset (object, ``save_to_disk`` folder, data folder or hub id) -> the
    speech manifest ``output``."""
    ds = load_hf(dataset, split, streaming)
    base = Path(dataset) if isinstance(dataset, (str, Path)) and Path(dataset).is_dir() else None
    total = len(ds) if hasattr(ds, "__len__") else None
    rows = hf_rows(ds, audio_column=audio_column, text_column=text_column,
                   speaker_column=speaker_column, id_column=id_column,
                   recording_column=recording_column, source=source, base=base)
    return import_utterances(rows, output, source=source, audio_dir=audio_dir,
                             sample_rate=sample_rate, retry_failed=retry_failed, total=total,
                             progress=progress, desc=f"import {source}")
