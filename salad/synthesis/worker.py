"""Work done per item, in a worker process or in the job's own process.

Each process builds its engines once (through the plugin host, so engines come from plugins
exactly as in recipes), then for each task: look the audio up in the cache, or synthesize,
resample to the output rate, augment, check (silence, clipping, duration) and store it, and
transcribe it with ASR when the job asks for a quality check (`transcribe`).
Everything that can go wrong with one item comes back as a failure dict; nothing is raised
except ``KeyboardInterrupt``/``SystemExit``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .cache import AudioCache, cache_key, stable_seed
from .config import SynthesisConfig, VoiceSpec


@dataclass
class _Engine:
    engine: Any = None
    version: str = ""
    error: str | None = None


@dataclass
class WorkerState:
    config: SynthesisConfig
    cache: AudioCache = field(init=False)
    engines: dict[int, _Engine] = field(default_factory=dict)
    host: Any = None
    asr: Any = None

    def __post_init__(self) -> None:
        self.cache = AudioCache(self.config.cache_dir, self.config.audio_format)

    def transcriber(self):
        if self.asr is None:
            from ..asr.whisper import WhisperTranscriber

            self.asr = WhisperTranscriber(self.config.transcribe, cpu_threads=1)
        return self.asr

    def engine(self, index: int) -> _Engine:
        if index not in self.engines:
            self.engines[index] = self._build(self.config.voices[index])
        return self.engines[index]

    def _build(self, spec: VoiceSpec) -> _Engine:
        from ..core.plugin_host import host_for

        try:
            if self.host is None:
                self.host = host_for(self.config.plugins)
            registry = self.host.registry("tts_engine")
            if spec.engine not in registry:
                broken = "; ".join(f.error for f in self.host.failures)
                extra = f" (plugin load failures: {broken})" if broken else ""
                return _Engine(error=registry.unknown_message(spec.engine) + extra)
            engine = registry.build(spec.engine, spec.config)
            return _Engine(engine=engine, version=str(engine.engine_version()))
        except Exception as exc:  # a missing binary or package is reported per item
            return _Engine(error=f"cannot build {spec.engine}: {type(exc).__name__}: {exc}")


_STATE: WorkerState | None = None


def init_worker(config_json: str) -> None:
    """Set up this process for :func:`synthesize_task`. In a worker process, also start a
    watchdog that ends the worker when the job's process dies (even by ``kill -9``), so that no
    worker outlives its job."""
    global _STATE
    _STATE = WorkerState(SynthesisConfig.model_validate_json(config_json))
    if multiprocessing.parent_process() is not None:
        threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True,
                         name="salad-parent-watch").start()


def _exit_with_parent(parent_pid: int, every_s: float = 0.5) -> None:
    while os.getppid() == parent_pid:
        time.sleep(every_s)
    os._exit(1)


def _failure(task: dict, spec: VoiceSpec, stage: str, error: str) -> dict:
    return {"ok": False, "id": task["id"], "failure": {
        "id": task["id"], "text_id": task["text_id"], "engine": spec.engine,
        "voice": spec.voice, "speaker": spec.speaker, "stage": stage, "error": error,
        "task_key": task["task_key"]}}


def _asr_check(text: str, audio, path, sample_rate: int) -> dict:
    """``transcript`` and ``cer`` of one utterance (``audio``, or the file at ``path``)."""
    from ..asr.wer import character_errors

    asr = _STATE.transcriber()
    hyp = asr.transcribe(audio, sample_rate) if audio is not None else asr.transcribe_file(path)
    errors, length = character_errors(text, hyp)
    return {"transcript": hyp,
            "cer": round(errors / length if length else float(errors > 0), 4)}


def synthesize_task(task: dict) -> dict:
    """Produce (or find in the cache) the audio for one task; see module docstring."""
    import numpy as np

    from ..data import audio as A

    assert _STATE is not None, "init_worker() was not called"
    cfg = _STATE.config
    spec = cfg.voices[task["spec"]]
    built = _STATE.engine(task["spec"])
    if built.error:
        return _failure(task, spec, "engine", built.error)
    augment = spec.augment if spec.augment is not None else cfg.augment
    aug_dict = augment.model_dump(mode="json") if augment else None
    seed = stable_seed(cfg.seed, spec.speaker, task["text"])
    key = cache_key(engine=spec.engine, engine_config=spec.config, voice=spec.voice,
                    engine_version=built.version, text=task["text"],
                    sample_rate=cfg.sample_rate, augment=aug_dict, augment_seed=seed)
    params = None
    if augment:
        drawn = augment.draw(seed)
        params = {k: drawn[k] for k in ("speed", "gain_db", "snr_db")} | {"seed": seed}
    path = _STATE.cache.get(key)
    hit = path is not None
    if hit:
        try:
            import soundfile as sf

            info = sf.info(str(path))
            duration = info.frames / float(info.samplerate)
        except Exception:  # unreadable cache file: synthesize it again
            path.unlink(missing_ok=True)
            hit, path = False, None
    if not hit:
        try:
            raw = built.engine.synthesize(task["text"], spec.voice)
        except Exception as exc:
            return _failure(task, spec, "synthesize", f"{type(exc).__name__}: {exc}")
        try:
            audio = A.resample(np.asarray(raw), int(built.engine.sample_rate), cfg.sample_rate)
            if augment:
                audio = augment.apply(audio, cfg.sample_rate, seed=seed)
        except Exception as exc:
            return _failure(task, spec, "audio", f"{type(exc).__name__}: {exc}")
        problem = A.check_audio(audio, cfg.sample_rate, min_duration_s=cfg.min_duration_s,
                                max_duration_s=cfg.max_duration_s)
        if problem:
            return _failure(task, spec, "quality", problem)
        path = A.write_audio(_STATE.cache.path(key), audio, cfg.sample_rate)
        duration = len(audio) / float(cfg.sample_rate)
    record = {
        "id": task["id"], "text_id": task["text_id"], "audio": str(path),
        "duration": round(duration, 4), "text": task["text"], "voice": spec.voice,
        "speaker": spec.speaker, "engine": spec.engine, "engine_version": built.version,
        "sample_rate": cfg.sample_rate, "source": task["source"],
        "domains": list(task["domains"]), "augmentation": params, "cache_key": key,
        "task_key": task["task_key"],
    }
    if cfg.transcribe:
        try:
            record.update(_asr_check(task["text"], audio if not hit else None, path,
                                     cfg.sample_rate))
        except Exception as exc:
            return _failure(task, spec, "asr", f"{type(exc).__name__}: {exc}")
    return {"ok": True, "id": task["id"], "record": record, "cache_hit": hit}
