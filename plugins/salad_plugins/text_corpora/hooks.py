"""Registers the text corpus sources. Import-light: pydantic and salad only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from salad import ComponentRecord, hookimpl
from salad.data.text import TextFilterConfig

PKG = "salad_plugins.text_corpora"


class _CorpusConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filters: TextFilterConfig = Field(default_factory=TextFilterConfig,
                                      description="Cleaning, splitting, length, de-duplication")
    limit: int | None = Field(None, ge=1, description="Stop after this many records")


class PopquotesConfig(_CorpusConfig):
    shows: list[str] | None = Field(None, description="Keep only these shows (domain labels)")
    exclude_shows: list[str] = Field(default_factory=lambda: ["r_help"],
                                     description="Drop these shows (r_help is a mailing list)")
    db_path: str | None = Field(None, description="popquotes.sqlite; default: the package's")


class WordNetConfig(_CorpusConfig):
    wordnet_dir: str = Field("/usr/share/wordnet", description="Debian wordnet-base data dir")
    parts: list[Literal["examples", "glosses"]] = Field(
        default_factory=lambda: ["examples", "glosses"], description="Usage examples, glosses")
    pos: list[Literal["noun", "verb", "adj", "adv"]] = Field(
        default_factory=lambda: ["noun", "verb", "adj", "adv"], description="Data files to read")


class FortunesConfig(_CorpusConfig):
    fortunes_dir: str = Field("/usr/share/games/fortunes", description="Debian fortunes dir")
    topics: list[str] | None = Field(None, description="Keep only these topic files")
    exclude_topics: list[str] = Field(default_factory=lambda: ["ascii-art", "art"],
                                      description="Topic files to skip (drawings)")


class GcideConfig(_CorpusConfig):
    dict_path: str = Field("/usr/share/dictd/gcide.dict.dz",
                           description="Debian dict-gcide dictzip (gzip-compatible) file")


class TextFileConfig(_CorpusConfig):
    paths: list[str] = Field(default_factory=list,
                             description="Plain text (one text per line) or JSONL files")
    format: Literal["auto", "text", "jsonl"] = Field(
        "auto", description="auto: .jsonl/.json files are JSONL, others plain text")
    text_field: str = Field("text", description="JSONL field holding the text")
    id_field: str | None = Field("id", description="JSONL id field (default: file:line)")
    domain_field: str | None = Field("domains", description="JSONL field: label or list")
    default_domains: list[str] = Field(default_factory=list, description="Labels for all records")
    on_error: Literal["skip", "raise"] = Field("skip", description="Bad line: count or raise")


class HFCorpusConfig(_CorpusConfig):
    dataset: str = Field("HuggingFaceFW/fineweb-edu", description="Hub name or builder (json)")
    name: str | None = Field("sample-10BT", description="Dataset configuration name")
    split: str = Field("train", description="Split to read")
    data_files: list[str] | None = Field(None, description="Local files (with dataset=json)")
    streaming: bool = Field(True, description="Stream instead of downloading everything")
    text_field: str = Field("text", description="Column holding the text")
    id_field: str | None = Field("id", description="Column holding an id (default: row index)")
    domain_fields: list[str] = Field(default_factory=list,
                                     description="Columns whose values become domain labels")
    limit: int | None = Field(10000, ge=1, description="Stop after this many records")


def _record(name, config, factory, summary):
    return ComponentRecord(name=name, version="1.0.0", config=config,
                           factory=f"{PKG}.{factory}", summary=summary)


@hookimpl
def salad_corpora():
    return [
        _record("salad.popquotes_corpus.v1", PopquotesConfig, "popquotes:PopquotesCorpus",
                "TV dialogue lines from the popquotes package (domain = show)."),
        _record("salad.wordnet_corpus.v1", WordNetConfig, "wordnet:WordNetCorpus",
                "WordNet usage examples and glosses (domain = lexicographer file)."),
        _record("salad.fortunes_corpus.v1", FortunesConfig, "fortunes:FortunesCorpus",
                "Debian fortune cookies (domain = topic file)."),
        _record("salad.gcide_corpus.v1", GcideConfig, "gcide:GcideCorpus",
                "GCIDE dictionary definitions (domain = subject label or general)."),
        _record("salad.text_file_corpus.v1", TextFileConfig, "text_file:TextFileCorpus",
                "Local plain-text or JSONL files with configurable fields."),
        _record("salad.hf_corpus.v1", HFCorpusConfig, "hf:HFCorpus",
                "Hugging Face datasets (streaming), e.g. FineWeb-Edu."),
    ]
