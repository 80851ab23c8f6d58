"""Names that configs give to components, resolved through the registries before anything runs.

A config names components in places other than a recipe's ``components`` block: a voice
``piper:joe`` in an evaluation, a corpus with its config block in data preparation, a TTS engine
per voice in a synthesis job. A pydantic config model declares these with a ``refs()`` method
that returns :class:`ComponentRef` (a registry name, optionally its config block and a voice),
:class:`FileRef` (an input file that must exist) or :class:`ChoiceRef` (one of a fixed set of
names, or a directory) with locations relative to itself. :func:`collect_refs` walks a config
(nested models, lists and dicts) and gathers them with full dotted locations;
:func:`check_refs` resolves them, returning one :class:`~salad.core.errors.Problem` per name
that does not resolve, with a did-you-mean. ``salad validate`` runs this over every stage config;
jobs started without a recipe run it over their own config (:func:`require_refs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem, SaladError
from .kinds import KINDS
from .plugin_host import PluginHost
from .problems import format_problems, problems_from_validation
from .suggest import did_you_mean


@dataclass(frozen=True)
class ShortName:
    """How a config may shorten registry names: ``prefix + short + suffix`` (``piper`` ->
    ``salad.piper_tts.v1``); a name containing a dot is a full registry name."""

    prefix: str
    suffix: str

    def full(self, name: str) -> str:
        return name if "." in name else f"{self.prefix}{name}{self.suffix}"

    def short(self, full: str) -> str:
        if full.startswith(self.prefix) and full.endswith(self.suffix):
            return full[len(self.prefix):len(full) - len(self.suffix)]
        return full


@dataclass(frozen=True)
class ComponentRef:
    """A registered component named by a config.

    loc:        where the name is, relative to the config that declares the reference.
    kind:       the registry to look in.
    name:       the name as written (a short name when ``short`` is given).
    short:      how short names map to registry names (None: full names only).
    config:     a config block to validate against the record's model (None: not checked).
    config_loc: where that block is (default ``<loc>.config``).
    voice:      a voice to find in the record's declared ``voices`` port (when it declares one).
    what:       how messages introduce the reference (default: the name).
    """

    loc: str
    kind: str
    name: str
    short: ShortName | None = None
    config: Mapping[str, Any] | None = None
    config_loc: str | None = None
    voice: str | None = None
    what: str = ""


@dataclass(frozen=True)
class FileRef:
    """An input file the config reads, which must exist before the job starts."""

    loc: str
    path: str
    what: str


@dataclass(frozen=True)
class ChoiceRef:
    """One of a fixed set of names, or (``directory_ok``) an existing directory."""

    loc: str
    value: str
    choices: tuple[str, ...]
    what: str
    directory_ok: bool = False


Ref = ComponentRef | FileRef | ChoiceRef


def _join(prefix: str, loc: str) -> str:
    return ".".join(p for p in (prefix, loc) if p)


def _moved(ref: Ref, prefix: str) -> Ref:
    changes: dict[str, Any] = {"loc": _join(prefix, ref.loc)}
    if isinstance(ref, ComponentRef) and ref.config_loc is not None:
        changes["config_loc"] = _join(prefix, ref.config_loc)
    return type(ref)(**{**vars(ref), **changes})


def collect_refs(value: Any, prefix: str = "") -> list[Ref]:
    """Every reference declared by ``value`` (a pydantic model) and the models inside it."""
    out: list[Ref] = []
    if isinstance(value, BaseModel):
        declared = getattr(value, "refs", None)
        if callable(declared):
            out += [_moved(r, prefix) for r in declared()]
        for name in type(value).model_fields:
            out += collect_refs(getattr(value, name), _join(prefix, name))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            out += collect_refs(item, _join(prefix, str(i)))
    elif isinstance(value, dict):
        for key, item in value.items():
            out += collect_refs(item, _join(prefix, str(key)))
    return out


def _component(ref: ComponentRef, host: PluginHost) -> list[Problem]:
    registry = host.registry(ref.kind)
    full = ref.short.full(ref.name) if ref.short else ref.name
    what = f"{ref.what}: " if ref.what else ""
    if full not in registry:
        title = KINDS[ref.kind].title
        if ref.short:
            names = [ref.short.short(n) for n in registry.names()]
            hint = did_you_mean(ref.name, names)
            message = (f"{what}unknown {title} {ref.name!r} ({full}){hint} "
                       f"(valid: {', '.join(names) or 'none installed'})")
        else:
            message = f"{what}{registry.unknown_message(full)}"
        broken = [f.plugin for f in host.failures]
        if broken:
            message += f"; plugins that failed to load: {', '.join(broken)}"
        return [Problem(ref.loc, message)]
    record = registry.get(full)
    try:
        config = record.make_config(ref.config or {})
    except ValidationError as exc:
        if ref.config is None:
            return []  # the config block is not the reference's to check
        return problems_from_validation(exc, ref.config_loc or _join(ref.loc, "config"),
                                        record.config)
    if ref.voice is None:
        return []
    try:
        voices = record.declared_ports(config).get("voices")
    except Exception as exc:  # a plugin bug; report, do not crash validation
        return [Problem(ref.loc, f"{full}: declaring ports failed: {type(exc).__name__}: {exc}")]
    if voices and ref.voice not in voices:
        return [Problem(ref.loc, f"{what}{full} has no voice {ref.voice!r}"
                                 f"{did_you_mean(ref.voice, voices)} (voices: "
                                 f"{', '.join(voices)})")]
    return []


def check_ref(ref: Ref, host: PluginHost) -> list[Problem]:
    if isinstance(ref, ComponentRef):
        return _component(ref, host)
    if isinstance(ref, FileRef):
        if Path(ref.path).expanduser().is_file():
            return []
        return [Problem(ref.loc, f"{ref.what} {ref.path} not found")]
    if ref.value in ref.choices or (ref.directory_ok and Path(ref.value).expanduser().is_dir()):
        return []
    extra = " or an existing directory" if ref.directory_ok else ""
    hint = did_you_mean(ref.value, ref.choices)
    return [Problem(ref.loc, f"unknown {ref.what} {ref.value!r}{hint} "
                             f"(valid: {', '.join(ref.choices)}{extra})")]


def check_refs(refs: Iterable[Ref], host: PluginHost) -> list[Problem]:
    """Problems of every reference, each reported once (references may share a config)."""
    return list(dict.fromkeys(p for ref in refs for p in check_ref(ref, host)))


def require_refs(config: BaseModel, host: PluginHost, where: str) -> None:
    """Raise one :class:`SaladError` listing every reference of ``config`` that does not
    resolve (for jobs started from their own config file rather than a recipe)."""
    problems = check_refs(collect_refs(config), host)
    if problems:
        raise SaladError(format_problems(where, problems))
