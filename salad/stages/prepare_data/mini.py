"""The miniature's data, built on a CPU in minutes (``salad data prepare-mini``).

- narrow "natural speech" stand-in: conversational text (popquotes) spoken by several classic
  voices (espeak-ng variants, flite, Festival) with light augmentation (speed, gain, noise);
- held-out narrow set: other popquotes texts, spoken by voices the training set never uses;
- halves (``halves_*``): the first half of a text spoken, its second half kept as text;
  training halves in the training voices (Stage I examples whose text depends on the speech),
  held-out narrow and broad halves in the held-out voices (the reading metrics);
- broad alignment speech (``broad_train``): broad pool texts spoken by other cheap voices, for
  the LM-free align stage;
- target-voice alignment speech (``target_train``): the next broad pool texts spoken in the
  voice that Stage II synthesizes with and the evaluation speaks in (Piper joe), so the head
  learns to spell the voice it will hear; the held-out voices stay unheard;
- broad multi-domain text pool for Stage II (WordNet examples and glosses + fortunes) and a
  disjoint held-out broad text set;
- the written language (``language_texts``): every text of the narrow and broad corpora
  except the held-out ones, for a CTC adapter's lexicon and character LM (no speech).

Texts are split by a stable hash of their id, so growing a set never moves texts between train
and held-out. Audio goes into a content-addressed cache (``<data_dir>/audio`` by default):
rerunning after a kill or with larger sizes only synthesizes what is missing.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...core.errors import SaladError
from ...core.items import TextRecord
from ...core.plugin_host import PluginModules, host_for
from ...core.refs import ComponentRef, require_refs
from ...data.audio import Augmentation
from ...data.files import atomic_write_text
from ...data.manifests import read_speech_manifest, write_text_manifest
from ...data.text import TextStats, first_halves, normalized_key
from ...synthesis import SynthesisConfig, VoiceSpec, run_synthesis
from ...synthesis.cache import stable_seed

_DIGITS_RE = re.compile(r"\d+")
ESPEAK, FLITE, FESTIVAL = "salad.espeak_tts.v1", "salad.flite_tts.v1", "salad.festival_tts.v1"


def _voices(*pairs: tuple[str, str]) -> list[VoiceSpec]:
    return [VoiceSpec(engine=e, voice=v) for e, v in pairs]


DEFAULT_TRAIN_VOICES = _voices(
    (ESPEAK, "en-us"), (ESPEAK, "en-gb-scotland"), (ESPEAK, "en-us+f3"), (ESPEAK, "en-029+m5"),
    (FLITE, "slt"), (FLITE, "rms"), (FLITE, "awb"), (FLITE, "kal16"),
    (FESTIVAL, "kal_diphone"), (FESTIVAL, "cmu_us_slt_arctic_hts"),
)
DEFAULT_HELDOUT_VOICES = _voices((ESPEAK, "en-gb-x-rp+m3"), (FESTIVAL, "ked_diphone"))
# Broad alignment speech: many cheap voices, none of them (nor their accent) held out.
DEFAULT_BROAD_VOICES = _voices(
    (ESPEAK, "en-us"), (ESPEAK, "en-us+f2"), (ESPEAK, "en-us+m4"), (ESPEAK, "en-us-nyc+f4"),
    (ESPEAK, "en-gb+m2"), (ESPEAK, "en-gb+f1"), (ESPEAK, "en-gb-scotland+m6"),
    (ESPEAK, "en-gb-x-gbclan+f5"), (ESPEAK, "en-gb-x-gbcwmd+m1"), (ESPEAK, "en-029+m7"),
    (ESPEAK, "en-us+klatt"), (ESPEAK, "en-us+Annie"),
    (FLITE, "slt"), (FLITE, "rms"), (FLITE, "awb"), (FLITE, "kal16"),
    (FESTIVAL, "kal_diphone"), (FESTIVAL, "cmu_us_slt_arctic_hts"),
)
# The voice Stage II synthesizes with and the evaluation speaks in (not a held-out voice).
DEFAULT_TARGET_VOICES = _voices(("salad.piper_tts.v1", "joe"))


class CorpusRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Corpus source registry name")
    config: dict[str, Any] = Field(default_factory=dict, description="Its config block")

    def refs(self) -> list[ComponentRef]:
        return [ComponentRef("name", "corpus", self.name, config=self.config,
                             config_loc="config")]


class MiniDataConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data_dir: str = Field("data/mini", description="Output folder (manifests, audio)")
    cache_dir: str | None = Field(None, description="Audio cache; default <data_dir>/audio")
    narrow_corpus: CorpusRef = Field(
        default_factory=lambda: CorpusRef(name="salad.popquotes_corpus.v1"),
        description="Conversational corpus for the narrow speech")
    broad_corpora: list[CorpusRef] = Field(
        default_factory=lambda: [CorpusRef(name="salad.wordnet_corpus.v1"),
                                 CorpusRef(name="salad.fortunes_corpus.v1")],
        description="Multi-domain corpora for the broad text pool")
    narrow_train: int = Field(500, ge=1, description="Narrow training utterances")
    narrow_heldout: int = Field(60, ge=0, description="Held-out narrow texts (and utterances)")
    broad_pool: int = Field(20000, ge=0, description="Broad pool texts")
    broad_heldout: int = Field(1000, ge=0, description="Held-out broad texts")
    broad_train: int = Field(0, ge=0, description="Broad pool texts (from its start) also "
                                                  "spoken, for the LM-free align stage")
    broad_train_voices: list[VoiceSpec] = Field(
        default_factory=lambda: list(DEFAULT_BROAD_VOICES),
        description="Voices of the broad alignment speech (augmented like the narrow speech)")
    target_train: int = Field(0, ge=0, description="Broad pool texts (after broad_train) "
                                                   "spoken in target_voices, for the align stage")
    target_voices: list[VoiceSpec] = Field(
        default_factory=lambda: list(DEFAULT_TARGET_VOICES),
        description="Voices of target_train: the voices the student hears in Stage II and "
                    "evaluation (augmented like the narrow speech)")
    halves_narrow: int = Field(200, ge=0, description="Held-out narrow texts to halve (of "
                                                      "those with halves_words words)")
    halves_broad: int = Field(200, ge=0, description="Held-out broad texts to halve")
    halves_train: int = Field(0, ge=0, description="Narrow training texts to halve, first halves "
                                                   "spoken by the training voices (Stage I "
                                                   "examples whose text depends on the speech)")
    halves_words: tuple[int, int] = Field((8, 40), description="Word range of halved texts")
    language_texts: bool = Field(False, description="Also write texts/language.jsonl: every "
                                 "text of the narrow and broad corpora except the held-out "
                                 "ones (by id and by normalized text), the written language "
                                 "of a CTC adapter's lexicon and character LM")
    train_voices: list[VoiceSpec] = Field(default_factory=lambda: list(DEFAULT_TRAIN_VOICES))
    heldout_voices: list[VoiceSpec] = Field(default_factory=lambda: list(DEFAULT_HELDOUT_VOICES))
    augment: Augmentation | None = Field(
        default_factory=lambda: Augmentation(speed=(0.9, 1.1), gain_db=(-6.0, 0.0),
                                             snr_db=(25.0, 40.0)),
        description="Augmentation of the narrow training speech (held-out speech is clean)")
    workers: int = Field(2, ge=1, description="Synthesis worker processes")
    seed: int = Field(0, description="Split, voice assignment and augmentation seed")
    plugins: PluginModules
    progress: bool = Field(True, description="Progress bars")


@dataclass
class SetSummary:
    name: str
    kind: str  # "speech" or "text"
    utterances: int = 0
    hours: float = 0.0
    voices: list[str] = field(default_factory=list)
    domains: int = 0
    failed: int = 0
    path: str = ""
    failures_file: str = ""


@dataclass
class MiniSummary:
    data_dir: str
    sets: list[SetSummary]
    seconds: float = 0.0
    corpus_stats: dict[str, dict[str, int]] = field(default_factory=dict)

    def format(self) -> str:
        head = f"{'set':<22} {'kind':<6} {'items':>7} {'hours':>7} {'voices':>6} {'domains':>7}"
        rows = [f"miniature data in {self.data_dir} ({self.seconds:.0f} s)", head]
        for s in self.sets:
            hours = f"{s.hours:.3f}" if s.kind == "speech" else "-"
            voices = str(len(s.voices)) if s.kind == "speech" else "-"
            fail = f"  ({s.failed} failed; see {s.failures_file})" if s.failed else ""
            rows.append(f"{s.name:<22} {s.kind:<6} {s.utterances:>7} {hours:>7} {voices:>6} "
                        f"{s.domains:>7}{fail}")
        speech = [s for s in self.sets if s.kind == "speech"]
        all_voices = sorted({v for s in speech for v in s.voices})
        rows.append(f"total speech: {sum(s.utterances for s in speech)} utterances, "
                    f"{sum(s.hours for s in speech):.3f} h, {len(all_voices)} voices: "
                    + ", ".join(all_voices))
        return "\n".join(rows)

    def to_dict(self) -> dict:
        return asdict(self)


def _read_corpus(ref: CorpusRef, host, stats: dict[str, dict[str, int]]) -> list[TextRecord]:
    corpus = host.registry("corpus").build(ref.name, ref.config)
    records = list(corpus.iter_records())
    counts = getattr(corpus, "stats", None)
    stats[ref.name] = dict(counts) if isinstance(counts, TextStats) else {"kept": len(records)}
    return records


def _hash_order(records: list[TextRecord], seed: int) -> list[TextRecord]:
    return sorted(records, key=lambda r: stable_seed(seed, "split", r.id))


def _without(records: list[TextRecord], heldout: list[TextRecord]) -> list[TextRecord]:
    """``records`` less the held-out texts and their duplicates under other ids (equal up to
    case, punctuation and digits, which a spelling head drops)."""
    def key(text: str) -> str:
        return normalized_key(_DIGITS_RE.sub(" ", text))

    ids, keys = {r.id for r in heldout}, {key(r.text) for r in heldout}
    return [r for r in records if r.id not in ids and key(r.text) not in keys]


def _speech_summary(name: str, job: SynthesisConfig, failed: int) -> SetSummary:
    """A speech set's summary: ``failed`` counts the job's failures (listed with their reasons
    in its failures file) and the manifest's unreadable lines."""
    manifest = Path(job.output)
    read = read_speech_manifest(manifest) if manifest.exists() else None
    recs = read.records if read else []
    failed += len(read.errors) if read else 0
    return SetSummary(name=name, kind="speech", utterances=len(recs),
                      hours=sum(r.duration for r in recs) / 3600.0,
                      voices=sorted({r.speaker or r.voice for r in recs}),
                      domains=len({d for r in recs for d in r.domains}), failed=failed,
                      path=str(manifest), failures_file=job.failures_path)


def _text_summary(name: str, path: Path, records: list[TextRecord]) -> SetSummary:
    return SetSummary(name=name, kind="text", utterances=len(records),
                      domains=len({d for r in records for d in r.domains}), path=str(path))


def prepare_mini(config: MiniDataConfig | dict | None = None,
                 where: str = "prepare-mini config") -> MiniSummary:
    """Build (or complete) the miniature's text and speech sets; see the module docstring.
    Corpora, voices and engine configs that do not resolve, and a speech set none of whose
    items could be synthesized, are a :class:`SaladError`."""
    cfg = config if isinstance(config, MiniDataConfig) else MiniDataConfig.model_validate(
        config or {})
    start = time.perf_counter()
    root = Path(cfg.data_dir)
    texts, speech = root / "texts", root / "speech"
    cache = cfg.cache_dir or str(root / "audio")
    host = host_for(cfg.plugins)
    require_refs(cfg, host, where)
    stats: dict[str, dict[str, int]] = {}

    narrow = _hash_order(_read_corpus(cfg.narrow_corpus, host, stats), cfg.seed)
    need = cfg.narrow_train + cfg.narrow_heldout
    if len(narrow) < need:
        raise SaladError(f"{cfg.narrow_corpus.name} gave {len(narrow)} texts; the miniature "
                         f"asks for {need} (narrow_train + narrow_heldout)")
    narrow_train, narrow_heldout = narrow[:cfg.narrow_train], narrow[cfg.narrow_train:need]

    broad: list[TextRecord] = []
    for ref in cfg.broad_corpora:
        broad.extend(_read_corpus(ref, host, stats))
    broad = _hash_order(broad, cfg.seed)
    broad_heldout = broad[:cfg.broad_heldout]
    broad_pool = broad[cfg.broad_heldout:cfg.broad_heldout + cfg.broad_pool]

    sets = {"narrow_train": narrow_train, "narrow_heldout": narrow_heldout,
            "broad_pool": broad_pool, "broad_heldout": broad_heldout,
            "broad_train": broad_pool[:cfg.broad_train],
            "target_train": broad_pool[cfg.broad_train:cfg.broad_train + cfg.target_train],
            "train_halves": first_halves(narrow_train, cfg.halves_train, cfg.halves_words),
            "narrow_halves": first_halves(narrow_heldout, cfg.halves_narrow, cfg.halves_words),
            "broad_halves": first_halves(broad_heldout, cfg.halves_broad, cfg.halves_words)}
    if cfg.language_texts:
        sets["language"] = _without(narrow + broad, narrow_heldout + broad_heldout)
    for name, records in sets.items():
        write_text_manifest(texts / f"{name}.jsonl", records)

    # (set, voices, augmentation, voices per text): halves are spoken in every held-out voice
    jobs = [("narrow_train", cfg.train_voices, cfg.augment, 1),
            ("narrow_heldout", cfg.heldout_voices, None, 1),
            ("broad_train", cfg.broad_train_voices, cfg.augment, 1),
            ("target_train", cfg.target_voices, cfg.augment, 1),
            ("train_halves", cfg.train_voices, cfg.augment, 1),
            ("narrow_halves", cfg.heldout_voices, None, len(cfg.heldout_voices)),
            ("broad_halves", cfg.heldout_voices, None, len(cfg.heldout_voices))]
    summaries = []
    for name, voices, augment, per_text in jobs:
        if not sets[name]:
            continue
        job = SynthesisConfig(
            input=str(texts / f"{name}.jsonl"), output=str(speech / f"{name}.jsonl"),
            cache_dir=cache, voices=voices, augment=augment, seed=cfg.seed,
            voices_per_text=per_text, workers=cfg.workers, plugins=cfg.plugins,
            progress=cfg.progress)
        result = run_synthesis(job, where)
        if result.problem():
            raise SaladError(f"{name} speech: {result.problem()}")
        summaries.append(_speech_summary(f"{name}_speech", job,
                                         result.failed + result.skipped_failed))
    summaries += [_text_summary(f"{n}_text", texts / f"{n}.jsonl", r) for n, r in sets.items()]
    summary = MiniSummary(data_dir=str(root), sets=summaries,
                          seconds=time.perf_counter() - start, corpus_stats=stats)
    atomic_write_text(root / "summary.json", json.dumps(summary.to_dict(), indent=1) + "\n")
    return summary
