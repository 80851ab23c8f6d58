"""Natural speech imports: a tiny lhotse cut set and a tiny ``datasets`` dataset, built in
tmp_path from seconds of synthetic audio, into SALAD speech manifests (order, domains, audio
durations, failures, resuming)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest

from salad.cli.main import main
from salad.data.audio import read_audio
from salad.data.manifests import read_speech_manifest
from salad.training.data import read_utterances, windows

SR = 16000


def _tone(seconds: float, freq: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _wav(path: Path, audio: np.ndarray, sr: int = SR) -> Path:
    import soundfile as sf

    sf.write(str(path), audio, sr)
    return path


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- lhotse -----------------------------------------------------------------------------------

@pytest.fixture
def cuts_file(tmp_path):
    lhotse = pytest.importorskip("lhotse")
    from lhotse import CutSet, Recording, SupervisionSegment
    from lhotse.cut import MonoCut

    def sup(sid, rec, start, duration, text, speaker="spk"):
        return SupervisionSegment(id=sid, recording_id=rec, start=start, duration=duration,
                                  channel=0, text=text, speaker=speaker, language="en")

    cuts = []
    for name, freq in (("bookA", 220.0), ("bookB", 330.0)):  # 2 recordings x 2 supervisions
        rec = Recording.from_file(_wav(tmp_path / f"{name}.wav", _tone(5.0, freq)),
                                  recording_id=name)
        sups = [sup(f"{name}-2", name, 2.5, 2.0, f"second of {name}."),  # listed out of order
                sup(f"{name}-1", name, 0.5, 1.5, f"first of {name}.")]
        cuts.append(MonoCut(id=name, start=0.0, duration=5.0, channel=0, recording=rec,
                            supervisions=sups))
    whole = Recording.from_file(_wav(tmp_path / "whole.wav", _tone(1.0, 440.0)),
                                recording_id="whole")
    cuts.append(MonoCut(id="whole", start=0.0, duration=1.0, channel=0, recording=whole,
                        supervisions=[sup("whole-1", "whole", 0.0, 1.0, "all of it.")]))
    gone = Recording.from_file(_wav(tmp_path / "gone.wav", _tone(1.0, 440.0)),
                               recording_id="gone")
    (tmp_path / "gone.wav").unlink()  # a recording whose file is missing
    cuts.append(MonoCut(id="gone", start=0.0, duration=1.0, channel=0, recording=gone,
                        supervisions=[sup("gone-1", "gone", 0.0, 0.5, "lost.")]))
    cuts.append(MonoCut(id="mute", start=0.0, duration=1.0, channel=0, recording=whole,
                        supervisions=[sup("mute-1", "whole", 0.0, 0.5, "  ")]))  # no text
    path = tmp_path / "cuts.jsonl.gz"
    CutSet.from_cuts(cuts).to_file(path)
    assert lhotse is not None
    return path


def test_lhotse_cuts_become_a_manifest_in_recording_order(cuts_file, tmp_path, capsys):
    out = tmp_path / "natural" / "libriheavy.jsonl"
    assert main(["data", "import-speech", "lhotse", str(cuts_file), str(out),
                 "--source", "libriheavy", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "5 utterances written" in printed and ", 2 failed," in printed

    lines = _lines(out)
    assert [r["id"] for r in lines] == ["bookA-1", "bookA-2", "bookB-1", "bookB-2", "whole"]
    assert [r["domains"] for r in lines] == [["libriheavy:bookA"]] * 2 + [
        ["libriheavy:bookB"]] * 2 + [["libriheavy:whole"]]
    assert lines[0]["text"] == "first of bookA." and lines[0]["speaker"] == "spk"
    assert all(r["source"] == "libriheavy" for r in lines)

    manifest = read_speech_manifest(out).require_clean()
    by_id = {r.id: r for r in manifest.records}
    for rid, dur in (("bookA-1", 1.5), ("bookA-2", 2.0), ("bookB-1", 1.5), ("whole", 1.0)):
        audio, sr = read_audio(by_id[rid].audio)
        assert abs(len(audio) / sr - dur) < 1e-3 and abs(by_id[rid].duration - dur) < 1e-3
    # a slice holds the recording's samples at that time; the whole file is referenced
    source, _ = read_audio(tmp_path / "bookB.wav")
    sliced, _ = read_audio(by_id["bookB-2"].audio)
    assert np.abs(sliced - source[int(2.5 * SR):int(4.5 * SR)]).max() < 1e-3
    assert Path(by_id["whole"].audio) == (tmp_path / "whole.wav").resolve()
    assert Path(by_id["bookA-1"].audio).is_relative_to(tmp_path / "natural" / "libriheavy_audio")
    assert lines[0]["audio"].startswith("libriheavy_audio/")  # relative to the manifest

    failures = {f["id"]: f for f in _lines(Path(f"{out}.failures.jsonl"))}
    assert set(failures) == {"gone", "mute"}
    assert failures["gone"]["stage"] == "audio" and "gone.wav" in failures["gone"]["error"]
    assert failures["mute"]["stage"] == "input"

    # Stage I reads consecutive windows per recording
    utts, errors = read_utterances(out)
    assert not errors
    assert [[u.id for u in w] for w in windows(utts, 8)] == [["bookA-1", "bookA-2"],
                                                              ["bookB-1", "bookB-2"]]


def test_lhotse_import_resumes_without_redoing_work(cuts_file, tmp_path):
    from salad.data.speech_sources import import_lhotse

    out = tmp_path / "m.jsonl"
    first = import_lhotse(cuts_file, out, source="lh", progress=False)
    assert (first.written, first.failed, first.audio_files) == (5, 2, 4)
    # a kill after the first line: the rest is done again, the written audio is reused
    out.write_text(out.read_text().splitlines()[0] + "\n")
    again = import_lhotse(cuts_file, out, source="lh", progress=False)
    assert (again.written, again.done_before, again.failed, again.failed_before,
            again.audio_files) == (4, 1, 0, 2, 0)
    assert [r["id"] for r in _lines(out)] == ["bookA-1", "bookA-2", "bookB-1", "bookB-2",
                                              "whole"]
    assert len(_lines(Path(f"{out}.failures.jsonl"))) == 2


# ---- Hugging Face datasets --------------------------------------------------------------------

def _flac_bytes(audio: np.ndarray, sr: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, audio, sr, format="FLAC")
    return buf.getvalue()


@pytest.fixture
def hf_dir(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [  # two speakers (recordings), an empty text, undecodable bytes
        {"id": "A_0", "text": "one.", "speaker": "A",
         "audio": {"path": str(_wav(tmp_path / "a0.wav", _tone(1.0, 220.0))), "bytes": None}},
        {"id": "A_1", "text": "two.", "speaker": "A",
         "audio": {"path": None, "bytes": _flac_bytes(_tone(1.5, 250.0, 24000), 24000)}},
        {"id": "B_0", "text": "three.", "speaker": "B",
         "audio": {"path": None, "bytes": _flac_bytes(_tone(0.5, 300.0), SR)}},
        {"id": "B_1", "text": "", "speaker": "B",
         "audio": {"path": None, "bytes": _flac_bytes(_tone(0.5, 300.0), SR)}},
        {"id": "B_2", "text": "five.", "speaker": "B",
         "audio": {"path": None, "bytes": b"not audio at all"}},
        {"id": "B_3", "text": "six.", "speaker": "B",
         "audio": {"path": None, "bytes": _flac_bytes(_tone(2.0, 350.0), SR)}},
    ]
    ds = datasets.Dataset.from_list(rows)
    # the Audio type without encoding (encoding arrays needs torchcodec, not installed here)
    ds = ds.cast_column("audio", datasets.Audio())
    path = tmp_path / "emilia"
    datasets.DatasetDict({"train": ds}).save_to_disk(str(path))
    return path


def test_hf_dataset_becomes_a_manifest(hf_dir, tmp_path, capsys):
    out = tmp_path / "emilia.jsonl"
    args = ["data", "import-speech", "hf", str(hf_dir), str(out), "--split", "train",
            "--audio-column", "audio", "--text-column", "text", "--source", "emilia",
            "--no-progress"]
    assert main(args) == 0
    lines = _lines(out)
    assert [r["id"] for r in lines] == ["A_0", "A_1", "B_0", "B_3"]
    assert [r["domains"] for r in lines] == [["emilia:A"]] * 2 + [["emilia:B"]] * 2
    assert [r["speaker"] for r in lines] == ["A", "A", "B", "B"]
    manifest = read_speech_manifest(out).require_clean()
    for rec, dur in zip(manifest.records, (1.0, 1.5, 0.5, 2.0), strict=True):
        audio, sr = read_audio(rec.audio)
        assert sr == rec.sample_rate == SR  # 24 kHz bytes resampled to 16 kHz
        assert abs(len(audio) / sr - dur) < 1e-3 and abs(rec.duration - dur) < 1e-3
    failures = {f["id"]: f for f in _lines(Path(f"{out}.failures.jsonl"))}
    assert set(failures) == {"B_1", "B_2"}
    assert failures["B_1"]["stage"] == "input" and "no text" in failures["B_1"]["error"]
    assert failures["B_2"]["stage"] == "audio"

    capsys.readouterr()
    assert main(args) == 0  # resumed: nothing done twice
    assert "0 utterances written" in capsys.readouterr().out
    assert len(_lines(out)) == 4 and len(_lines(Path(f"{out}.failures.jsonl"))) == 2

    assert main(["data", "import-speech", "hf", str(hf_dir), str(tmp_path / "x.jsonl"),
                 "--split", "test", "--no-progress"]) == 1
    assert "no split 'test'" in capsys.readouterr().err


def test_hf_arrays_and_plain_paths(tmp_path):
    datasets = pytest.importorskip("datasets")
    from salad.data.speech_sources import import_hf

    wav = _wav(tmp_path / "long.wav", _tone(1.25, 200.0))
    ds = datasets.Dataset.from_list([
        {"json": {"text": "from memory.", "spk": "s"}, "wav": "",
         "audio": {"array": _tone(0.75, 300.0, 8000).tolist(), "sampling_rate": 8000}},
        {"json": {"text": "from a file.", "spk": "s"}, "wav": str(wav),
         "audio": {"array": None, "sampling_rate": None}},
    ])
    out = tmp_path / "m.jsonl"
    s1 = import_hf(ds, out, audio_column="audio", text_column="json.text",
                   speaker_column="json.spk", id_column=None, source="yodas", progress=False)
    s2 = import_hf(ds, tmp_path / "p.jsonl", audio_column="wav", text_column="json.text",
                   speaker_column=None, id_column=None, source="yodas", progress=False)
    assert (s1.written, s1.failed, s2.written, s2.failed) == (1, 1, 1, 1)
    rec = read_speech_manifest(out).require_clean().records[0]
    assert (rec.id, rec.text, rec.domains, rec.sample_rate) == ("yodas:0", "from memory.",
                                                                ["yodas:s"], SR)
    assert abs(rec.duration - 0.75) < 1e-3
    rec = read_speech_manifest(tmp_path / "p.jsonl").require_clean().records[0]
    assert (rec.id, Path(rec.audio), rec.domains) == ("yodas:1", wav.resolve(), ["yodas:yodas"])


def test_lhotse_relative_paths_and_split_recordings(tmp_path):
    pytest.importorskip("lhotse")
    from lhotse import AudioSource, CutSet, Recording, SupervisionSegment
    from lhotse.cut import MonoCut

    from salad.data.speech_sources import import_lhotse

    audio = tmp_path / "corpus"
    audio.mkdir()
    cuts = []
    for i, (name, start) in enumerate((("r1", 0.0), ("r2", 0.0), ("r1", 1.0))):
        _wav(audio / f"{name}.wav", _tone(2.0, 220.0))
        rec = Recording(id=name, sources=[AudioSource(type="file", channels=[0],
                                                      source=f"{name}.wav")],
                        sampling_rate=SR, num_samples=2 * SR, duration=2.0)
        sup = SupervisionSegment(id=f"s{i}", recording_id=name, start=0.0, duration=1.0,
                                 text=f"text {i}")
        cuts.append(MonoCut(id=f"c{i}", start=start, duration=1.0, channel=0, recording=rec,
                            supervisions=[sup]))
    manifest = tmp_path / "cuts.jsonl.gz"
    CutSet.from_cuts(cuts).to_file(manifest)
    with gzip.open(manifest, "rb") as fh:
        lines = fh.read().splitlines()
    with gzip.open(manifest, "wb") as fh:  # two lines that are not cuts, between the cuts
        fh.write(b"\n".join([lines[0], b"{not json", b'{"type": "Nope"}', *lines[1:]]) + b"\n")

    unrooted = import_lhotse(manifest, tmp_path / "a.jsonl", progress=False)
    assert (unrooted.written, unrooted.failed) == (0, 5)  # relative to the working folder
    summary = import_lhotse(manifest, tmp_path / "b.jsonl", audio_root=audio, progress=False)
    assert (summary.written, summary.failed, summary.recordings) == (3, 2, 2)
    failures = _lines(tmp_path / "b.jsonl.failures.jsonl")
    assert [f["id"] for f in failures] == [f"{manifest}:2", f"{manifest}:3"]
    assert all(f["stage"] == "input" and "not a cut" in f["error"] for f in failures)
    assert summary.split_recordings == ["r1"] and "appear in more than one run" in \
        summary.format()
    assert [r["domains"] for r in _lines(tmp_path / "b.jsonl")] == [
        ["lhotse:r1"], ["lhotse:r2"], ["lhotse:r1"]]
