"""The synthesis job: text manifest -> speech manifest, parallel, cached, resumable.

The loop is plain: check every engine, engine config and voice the job names, read the text
manifest (bad lines become failures), assign voices, take the output manifest's lock, skip what
the output manifest (or the failures file) already holds under the same settings
(:mod:`~salad.synthesis.resume`), hand the rest to the workers, and append each result the moment
it arrives (one flushed JSONL line). A killed job therefore keeps every finished item; its audio
lives in the content-addressed cache, so a rerun skips it, and an item that was synthesized but
not yet written is found in the cache instead of synthesized again. Two jobs on one output
manifest take turns (the lock), so no id is written twice. Workers exit when the job's process
dies (:func:`~salad.synthesis.worker.init_worker`).

Under ``torchrun`` the job is sharded (:mod:`salad.data.shards`): rank ``r`` of ``n`` takes the
tasks ``r, r + n, ...`` of the planned list (voices are assigned before, so they do not depend
on ``n``) and runs them as above into its own manifest and failures shards beside the output
manifest and the failures file, each with its own lock, so each rank resumes on its own. Once
every rank is done, rank 0 merges the shards into the output manifest and the failures file in
task order: byte for byte what one process with one worker writes on a fresh run.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from multiprocessing import get_context
from pathlib import Path

from ..core.errors import SaladError
from ..core.launch import World
from ..core.plugin_host import host_for
from ..core.refs import require_refs
from ..data.files import atomic_write_json, exclusive_lock
from ..data.manifests import (
    JsonlAppender,
    ManifestLineError,
    read_text_manifest,
    relative_audio,
)
from ..data.progress import progress_bar
from ..data.shards import (
    merge_lines,
    merge_when_done,
    process_group,
    read_shards,
    shard_path,
    share,
)
from .cache import stable_seed
from .config import SynthesisConfig
from .resume import load_previous, task_key
from .worker import init_worker, synthesize_task

log = logging.getLogger(__name__)


@dataclass
class SynthesisSummary:
    total: int = 0                 # tasks (texts x voices) plus bad input lines
    skipped_done: int = 0          # already in the output manifest
    skipped_failed: int = 0        # already in the failures file (retry_failed=False)
    written: int = 0               # new manifest lines
    synthesized: int = 0           # of which freshly synthesized
    cache_hits: int = 0            # of which found in the cache
    failed: int = 0                # new failures
    failures_by_engine: dict[str, int] = field(default_factory=dict)
    failures_by_stage: dict[str, int] = field(default_factory=dict)
    stale: int = 0                 # earlier rows removed: written under other settings
    hours_written: float = 0.0
    output: str = ""
    failures_file: str = ""

    def problem(self) -> str | None:
        """Why the job did not do what was asked (None when it did; failed items are counted
        and listed, and the job still succeeds when the others were written)."""
        engines = self.failures_by_stage.get("engine", 0)
        if engines:
            return (f"{engines} items failed because their TTS engine could not be built; "
                    f"see {self.failures_file}")
        if self.failed and not (self.written or self.skipped_done):
            return f"every item failed; see {self.failures_file}"
        return None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def combine(cls, parts: list[dict], output: str, failures_file: str) -> SynthesisSummary:
        """The totals of the ranks' summaries ``parts`` (:meth:`to_dict`) of one job."""
        total = cls(output=output, failures_file=failures_file)
        for part in parts:
            for f in fields(cls):
                mine = getattr(total, f.name)
                if isinstance(mine, dict):
                    for key, n in part[f.name].items():
                        mine[key] = mine.get(key, 0) + n
                elif not isinstance(mine, str):
                    setattr(total, f.name, mine + part[f.name])
        return total

    def format(self) -> str:
        lines = [
            f"synthesis: {self.total} tasks; {self.written} written ({self.synthesized} "
            f"synthesized, {self.cache_hits} from cache, {self.hours_written:.3f} h); "
            f"{self.skipped_done} already done; {self.failed} failed"
            + (f"; {self.skipped_failed} failed earlier (retry_failed to retry)"
               if self.skipped_failed else "")
            + (f"; {self.stale} earlier rows redone (settings changed)" if self.stale else ""),
        ]
        if self.failures_by_engine:
            per = ", ".join(f"{k}: {v}" for k, v in sorted(self.failures_by_engine.items()))
            stages = ", ".join(f"{k}: {v}" for k, v in sorted(self.failures_by_stage.items()))
            lines.append(f"  failures by engine: {per}; by stage: {stages}")
            lines.append(f"  failure details: {self.failures_file}")
        lines.append(f"  manifest: {self.output}")
        return "\n".join(lines)


def _input_failure(err: ManifestLineError) -> dict:
    return {"id": err.id or err.where, "text_id": err.id or "", "engine": "input",
            "voice": "", "speaker": "", "stage": "input",
            "error": f"{err.where}: {err.error}"}


def plan_tasks(cfg: SynthesisConfig) -> Iterator[dict]:
    """One task per (text, voice); a bad input line yields ``{"input_error": ...}``.

    Voices are dealt round-robin over the manifest's texts (from a seeded offset), so every
    voice gets an equal share and a rerun on the same manifest assigns the same voices."""
    n = len(cfg.voices)
    offset = stable_seed(cfg.seed, "voices") % n
    index = 0
    for item in read_text_manifest(cfg.input):
        if isinstance(item, ManifestLineError):
            yield {"input_error": _input_failure(item)}
            continue
        start = (offset + index * cfg.voices_per_text) % n
        index += 1
        for k in range(cfg.voices_per_text):
            idx = (start + k) % n
            yield {"id": f"{item.id}@{cfg.voices[idx].speaker}", "text_id": item.id,
                   "text": item.text, "source": item.source, "domains": list(item.domains),
                   "spec": idx, "task_key": task_key(cfg, idx, item.text)}


class _Results:
    """Writes results as they arrive and keeps the counts."""

    def __init__(self, cfg: SynthesisConfig, summary: SynthesisSummary, bar):
        self.cfg, self.summary, self.bar = cfg, summary, bar
        self.manifest = JsonlAppender(cfg.output)
        self.failures = JsonlAppender(cfg.failures_path)
        self.seconds = 0.0

    def add(self, result: dict) -> None:
        s = self.summary
        if result["ok"]:
            rec = dict(result["record"])
            rec["audio"] = relative_audio(self.cfg.output, rec["audio"])
            self.manifest.write(rec)
            s.written += 1
            s.cache_hits += bool(result["cache_hit"])
            s.synthesized += not result["cache_hit"]
            self.seconds += rec["duration"]
        else:
            self.fail(result["failure"])
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(failed=s.failed, cached=s.cache_hits, refresh=False)

    def fail(self, failure: dict) -> None:
        s = self.summary
        self.failures.write(failure)
        s.failed += 1
        s.failures_by_engine[failure["engine"]] = s.failures_by_engine.get(failure["engine"], 0) + 1
        s.failures_by_stage[failure["stage"]] = s.failures_by_stage.get(failure["stage"], 0) + 1
        log.warning("synthesis failed for %s (%s, %s): %s", failure["id"], failure["engine"],
                    failure["stage"], failure["error"])

    def close(self) -> None:
        self.summary.hours_written = self.seconds / 3600.0
        self.manifest.close()
        self.failures.close()


def run_synthesis(cfg: SynthesisConfig, where: str = "synthesis job",
                  world: World | None = None) -> SynthesisSummary:
    """Run (or resume) the job described by ``cfg``; returns the counts (also logged).
    Engines, engine configs and voices that do not resolve, and a text manifest without texts,
    are a :class:`SaladError` (``where`` names the config in its message) before any work.

    With several ranks in ``world`` (a ``torchrun`` launch) this rank runs its share, and rank 0
    merges the shards once every rank is done and returns the job's totals; the other ranks
    return their own counts."""
    tasks = _plan(cfg, where)
    world = world or World()
    if world.size == 1:
        with _output_lock(cfg.output):
            return _run_locked(cfg, tasks)
    mine = synthesize_shard(cfg, world, tasks)
    with process_group(world):  # one merge step, once every rank has written its shards
        merged = merge_when_done(world, lambda: merge_synthesis(cfg, world.size, tasks))
    return merged if merged is not None else mine


def _plan(cfg: SynthesisConfig, where: str) -> list[dict]:
    require_refs(cfg, host_for(cfg.plugins), where)
    tasks = list(plan_tasks(cfg))
    if not tasks:
        raise SaladError(f"text manifest {cfg.input} holds no texts: nothing to synthesize")
    return tasks


@contextmanager
def _output_lock(output: str):
    lock = Path(output).with_name(Path(output).name + ".lock")
    with exclusive_lock(lock, waiting=lambda: log.warning(
            "another synthesis job is writing %s; waiting for it to finish", output)):
        yield


def _shard_files(cfg: SynthesisConfig, rank: int, size: int) -> tuple[Path, Path, Path]:
    """Rank ``rank``'s manifest, failures and summary shards: beside the files they are merged
    into, so the audio paths of the rows (relative to the manifest's folder) hold in both."""
    out, failures = Path(cfg.output), Path(cfg.failures_path)
    return (shard_path(out.parent, out.stem, rank, size, out.suffix),
            shard_path(failures.parent, failures.stem, rank, size, failures.suffix),
            shard_path(out.parent, f"{out.name}.summary", rank, size))


def synthesize_shard(cfg: SynthesisConfig, world: World,
                     tasks: list[dict] | None = None) -> SynthesisSummary:
    """Run (or resume) this rank's share of the job's tasks (planned from ``cfg`` unless
    given) into its shards; its summary shard, written last, marks the rank done."""
    tasks = _plan(cfg, "synthesis job") if tasks is None else tasks
    output, failures, done = _shard_files(cfg, world.rank, world.size)
    done.unlink(missing_ok=True)
    shard = cfg.model_copy(update={"output": str(output), "failures": str(failures),
                                   "progress": cfg.progress and world.main})
    with _output_lock(shard.output):
        summary = _run_locked(shard, share(tasks, world))
    atomic_write_json(done, summary.to_dict())
    return summary


def merge_synthesis(cfg: SynthesisConfig, size: int,
                    tasks: list[dict] | None = None) -> SynthesisSummary:
    """Join the shards of ``size`` ranks into the output manifest and the failures file, in
    task order (bad input lines first in the failures file, as one process reports them);
    returns the job's totals. A rank that did not finish is an error naming its shard."""
    tasks = _plan(cfg, "synthesis job") if tasks is None else tasks
    out = Path(cfg.output)
    parts = read_shards(out.parent, f"{out.name}.summary", size,
                        f"rerun the job on {size} ranks (finished items are kept)")
    files = [_shard_files(cfg, rank, size) for rank in range(size)]
    order = {t["input_error"]["id"] if "input_error" in t else t["id"]: i
             for i, t in enumerate(tasks)}
    with _output_lock(cfg.output):
        merge_lines([f[0] for f in files], out, key=lambda row: order.get(row.get("id"), -1))
        merge_lines([f[1] for f in files], cfg.failures_path, key=lambda row: (
            row.get("stage") != "input", order.get(row.get("id"), -1)))
    summary = SynthesisSummary.combine(parts, cfg.output, cfg.failures_path)
    log.info("%s", summary.format())
    return summary


def _run_locked(cfg: SynthesisConfig, tasks: list[dict]) -> SynthesisSummary:
    summary = SynthesisSummary(output=cfg.output, failures_file=cfg.failures_path)
    prev = load_previous(cfg, {t["id"]: t for t in tasks if "id" in t})
    summary.stale = prev.stale
    pending = []
    input_failures = []
    for task in tasks:
        summary.total += 1
        tid = task["input_error"]["id"] if "input_error" in task else task["id"]
        if tid in prev.done:
            summary.skipped_done += 1
        elif tid in prev.failed:
            summary.skipped_failed += 1
        elif "input_error" in task:
            input_failures.append(task["input_error"])
        else:
            pending.append(task)
    bar = progress_bar(total=len(pending), desc="synthesize", unit="utt",
                       disable=not cfg.progress, dynamic_ncols=True)
    results = _Results(cfg, summary, bar)
    try:
        for failure in input_failures:
            results.fail(failure)
        if cfg.workers <= 1:
            init_worker(cfg.model_dump_json())
            for task in pending:
                results.add(synthesize_task(task))
        else:
            _run_pool(cfg, pending, results)
    finally:
        bar.close()
        results.close()
    log.info("%s", summary.format())
    return summary


def _ping() -> bool:
    return True


def _check_pool_starts(pool: ProcessPoolExecutor) -> None:
    """Fail fast when worker processes cannot even start (instead of blaming every item)."""
    try:
        pool.submit(_ping).result()
    except BrokenProcessPool as exc:
        raise SaladError(
            "synthesis worker processes died at start-up. With workers > 1 they are spawned: a "
            "script that starts the job must guard it with `if __name__ == '__main__':`; "
            "otherwise run with workers: 1 to see the error in this process") from exc


def _run_pool(cfg: SynthesisConfig, pending: list[dict], results: _Results) -> None:
    """Feed tasks to a spawn-context process pool, keeping a bounded number in flight.

    When a worker dies (segfault, ``os._exit``, out of memory) the pool is rebuilt and the tasks
    that were in flight become suspects; each suspect is then run alone, so one that kills its
    worker again is recorded as a failure of its own and the others complete normally."""
    queue, suspects = deque(pending), deque()
    ctx = get_context("spawn")
    while queue or suspects:
        with ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=init_worker,
                                 initargs=(cfg.model_dump_json(),)) as pool:
            _check_pool_starts(pool)
            inflight: dict = {}
            broken = isolating = False
            while (queue or suspects or inflight) and not broken:
                if suspects:
                    if not inflight:
                        task = suspects.popleft()
                        inflight[pool.submit(synthesize_task, task)] = task
                        isolating = True
                else:
                    isolating = False
                    while queue and len(inflight) < 4 * cfg.workers:
                        task = queue.popleft()
                        inflight[pool.submit(synthesize_task, task)] = task
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    inflight.pop(fut)
                    results.add(result)
        if not broken:
            continue
        if isolating:
            (task,) = inflight.values()
            spec = cfg.voices[task["spec"]]
            results.fail({"id": task["id"], "text_id": task["text_id"], "engine": spec.engine,
                          "voice": spec.voice, "speaker": spec.speaker, "stage": "worker",
                          "task_key": task["task_key"],
                          "error": "the worker process died while synthesizing this item"})
        else:
            suspects.extend(inflight.values())
        log.warning("a synthesis worker died; restarting the pool (%d tasks left)",
                    len(queue) + len(suspects))
