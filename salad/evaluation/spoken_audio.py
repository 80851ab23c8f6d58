"""Audio for spoken benchmark items: synthesis through the speech-data job (content-addressed
and resumable), encoder frames through the feature cache, ASR transcripts for the cascade.

Audio and frames live in shared caches, so every run evaluated on the same items and voice
reuses them; a text whose synthesis fails is counted and its items are skipped in speech modes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from salad.core.errors import SaladError
from salad.core.items import TextRecord
from salad.data.manifests import (
    ManifestLineError,
    iter_json_lines,
    read_json_lines_tolerant,
    read_speech_manifest,
    read_text_manifest,
    write_text_manifest,
)
from salad.data.progress import progress_bar
from salad.synthesis import SynthesisConfig, VoiceSpec, run_synthesis

from .cache import ScoreCache, cache_key
from .spoken import SpokenContext


def voice_from_label(label: str) -> VoiceSpec:
    """``"piper:joe"`` -> ``VoiceSpec(engine="salad.piper_tts.v1", voice="joe")``; a full
    registry name works too (``"salad.flite_tts.v1:slt"``)."""
    engine, sep, voice = label.partition(":")
    if not sep or not engine or not voice:
        raise SaladError(f"voice {label!r}: expected ENGINE:VOICE, e.g. piper:joe or flite:slt")
    if "." not in engine:
        engine = f"salad.{engine}_tts.v1"
    return VoiceSpec(engine=engine, voice=voice)


@dataclass
class SpokenSet:
    """The audio of one voice for a set of spoken texts, by content key."""

    voice: str
    audio: dict[str, str] = field(default_factory=dict)       # key -> audio path
    texts: dict[str, str] = field(default_factory=dict)       # key -> spoken text
    failed: dict[str, str] = field(default_factory=dict)      # key -> reason
    failures_file: str = ""                                    # where the reasons are listed
    wer: float | None = None                                   # of the cascade's ASR


def synthesize_texts(parts: Iterable[SpokenContext], voice: VoiceSpec, work_dir: Path,
                     tts_cache: str, progress: bool = True, max_seconds: float = 60.0,
                     workers: int = 1) -> SpokenSet:
    """Speak each distinct text once with ``voice`` (in ``workers`` processes); resumes from
    ``work_dir``'s manifest and retries texts that failed before (few, and a failure may have
    been a limit since raised)."""
    texts = {p.key: p.spoken for p in parts if p.spoken}
    label = voice.speaker.replace(":", "_").replace("/", "_")
    work_dir.mkdir(parents=True, exist_ok=True)
    text_manifest = work_dir / f"{label}.texts.jsonl"
    speech_manifest = work_dir / f"{label}.speech.jsonl"
    cfg = SynthesisConfig(input=str(text_manifest), output=str(speech_manifest),
                          cache_dir=tts_cache, voices=[voice], progress=progress,
                          max_duration_s=max_seconds, retry_failed=True, workers=workers)
    if not texts:  # nothing to speak (a rank's share of a few items may have no spoken part)
        return SpokenSet(voice.speaker, failures_file=cfg.failures_path)
    known = _manifest_texts(text_manifest)
    if not set(texts) <= set(known):  # the job resumes by id, so a grown text list appends
        merged = {**known, **texts}
        write_text_manifest(text_manifest, (TextRecord(k, t, "benchmark")
                                            for k, t in sorted(merged.items())))
    run_synthesis(cfg)
    out = SpokenSet(voice.speaker, texts=texts, failures_file=cfg.failures_path)
    if speech_manifest.exists():
        for rec in read_speech_manifest(speech_manifest).records:
            if rec.text_id in texts:
                out.audio[rec.text_id] = rec.audio
    for row in read_json_lines_tolerant(Path(cfg.failures_path)):
        key = str(row.get("text_id", ""))
        if key in texts and key not in out.audio:
            out.failed[key] = str(row.get("error", "synthesis failed"))[:200]
    for key in texts:
        if key not in out.audio and key not in out.failed:
            out.failed[key] = "no audio produced"
    return out


def recorded_texts(parts: Iterable[SpokenContext], manifest: str | Path, label: str) -> SpokenSet:
    """Recordings (e.g. of human speakers) of spoken texts: a JSONL manifest of ``{"text",
    "audio"}`` rows, audio paths relative to the manifest's folder. Texts are matched after
    collapsing whitespace; items without a recording are skipped in this voice's modes."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise SaladError(f"recordings {label!r}: manifest {manifest} not found")
    wanted = {p.key: p.spoken for p in parts if p.spoken}
    out = SpokenSet(f"rec:{label}", failures_file=str(manifest))
    for lineno, row in iter_json_lines(manifest, skip_blank=True):
        if isinstance(row, ManifestLineError):
            raise SaladError(row.format())
        try:
            text, audio = " ".join(str(row["text"]).split()), Path(row["audio"])
        except (KeyError, TypeError) as exc:
            raise SaladError(f"{manifest}:{lineno}: expected {{\"text\", \"audio\"}} ({exc})") \
                from None
        key = SpokenContext("", text, "").key
        if key not in wanted:
            continue
        path = audio if audio.is_absolute() else manifest.parent / audio
        out.texts[key] = text
        if path.is_file():
            out.audio[key] = str(path)
        else:
            out.failed[key] = f"{manifest}:{lineno}: audio {path} not found"
    return out


def _manifest_texts(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {r.id: r.text for r in read_text_manifest(path) if isinstance(r, TextRecord)}


class SpokenFrames:
    """``key -> frames`` over the feature cache, and ``audio_id(key)``: the audio's content hash."""

    def __init__(self, features, index: dict[str, str]):
        self.features = features
        self.index = index

    def __call__(self, key: str):
        return self.features([key])[0] if key in self.index else None

    def audio_id(self, key: str) -> str | None:
        return self.index.get(key)


def encoder_frames(spoken: SpokenSet, encoder, feature_cache: str,
                   progress: bool = True) -> SpokenFrames:
    """Frames of the spoken set (encoding cache misses first)."""
    from salad.data.feature_cache import FeatureCache, ManifestFeatures, precompute

    report = precompute(sorted(spoken.audio.items()), encoder, feature_cache, progress=progress)
    for failure in report.failed:
        spoken.failed[failure.id] = failure.reason
        spoken.audio.pop(failure.id, None)
    features = ManifestFeatures(FeatureCache(feature_cache, encoder.cache_key()), report.index)
    return SpokenFrames(features, report.index)


def transcribe(spoken: SpokenSet, transcriber, cache: ScoreCache,
               progress: bool = True) -> dict[str, str]:
    """ASR transcript per key; cached by audio content and ASR model identity."""
    from salad.data.feature_cache import file_hash

    model_id = transcriber.model_id()
    out, new = {}, []
    for key, path in progress_bar(sorted(spoken.audio.items()), desc=f"ASR {spoken.voice}",
                                  unit="utt", disable=not progress):
        ck = cache_key(asr=model_id, audio=file_hash(path))
        hit = cache.get(ck)
        if hit is None:
            hit = {"key": ck, "text": transcriber.transcribe_file(path)}
            new.append(hit)
            if len(new) >= 32:
                cache.put_many(new)
                new = []
        out[key] = hit["text"]
    cache.put_many(new)
    return out
