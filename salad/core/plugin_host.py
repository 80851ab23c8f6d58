"""Discovers plugins (entry points, environment, recipe-listed modules) and collects records.

Plugins are found through the ``salad.plugins`` entry-point group; first-party plugins use the
same group. ``SALAD_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry points (then only modules named in
``SALAD_PLUGINS`` or by a recipe load), ``SALAD_BLOCK_PLUGINS=a,b`` skips the named entry
points. A plugin that fails to import or whose hook raises is reported with its entry point and
traceback; it never takes the others down.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Annotated

import pluggy
from pydantic import Field

from . import hookspecs
from .errors import DuplicateComponentError, PluginLoadError
from .kinds import KINDS, kind_info
from .records import ComponentRecord
from .registry import Registry

ENTRY_POINT_GROUP = "salad.plugins"
ENV_DISABLE = "SALAD_DISABLE_PLUGIN_AUTOLOAD"
ENV_BLOCK = "SALAD_BLOCK_PLUGINS"
ENV_EXTRA = "SALAD_PLUGINS"

PluginModules = Annotated[list[str], Field(
    default_factory=list,
    description="Local plugin modules: import names or .py files (a recipe's relative paths are "
                "read from the recipe's folder, other configs' from the working directory). "
                "Validation imports them: their module code runs.")]
"""The ``plugins`` field of every config that may name local plugin modules (recipes, the
synthesis job, data preparation); :func:`host_for` loads them."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    entry_point: str


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    entry_point: str
    distribution: str
    error: str
    traceback: str

    def format(self) -> str:
        return (f"plugin {self.plugin!r} ({self.entry_point}, distribution {self.distribution}) "
                f"failed: {self.error}\n{self.traceback}")


@dataclass
class PluginHost:
    """Loads plugins and builds one :class:`Registry` per kind."""

    autoload: bool | None = None
    block: Iterable[str] = ()
    modules: Iterable[str | Path] = ()
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    registries: dict[str, Registry] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        if self.autoload is None:
            self.autoload = os.environ.get(ENV_DISABLE, "") not in ("1", "true", "yes")
        blocked = set(self.block) | {
            b.strip() for b in os.environ.get(ENV_BLOCK, "").split(",") if b.strip()}
        self.blocked = blocked
        if self.autoload:
            self._load_entry_points()
        extra = [m.strip() for m in os.environ.get(ENV_EXTRA, "").split(",") if m.strip()]
        for module in [*extra, *self.modules]:
            self.load_module(module)
        self.collect()

    # -- loading -----------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self.blocked:
                continue
            dist = ep.dist.name if ep.dist else "?"
            version = ep.dist.version if ep.dist else "?"
            ep_text = f"{ep.name} = {ep.value}"
            try:
                module = ep.load()
                self._register(module, ep.name, PluginInfo(ep.name, dist, version, ep_text))
            except Exception as exc:  # a broken plugin must not take the others down
                self._fail(ep.name, ep_text, dist, exc)

    def load_module(self, module: str | Path, base: Path | None = None) -> None:
        """Load a local plugin: an importable module name or a path to a ``.py`` file."""
        text = str(module)
        if text in self.plugins:
            return
        try:
            mod = self._import_local(text, base)
            if mod.__name__ in {p.name for p in self.plugins.values()}:
                return
            self._register(mod, text, PluginInfo(text, "<local>", "0", text))
        except Exception as exc:
            self._fail(text, text, "<local>", exc)

    @staticmethod
    def _import_local(text: str, base: Path | None) -> ModuleType:
        if text.endswith(".py"):
            path = Path(text)
            if not path.is_absolute() and base is not None:
                path = base / path
            if not path.exists():
                raise FileNotFoundError(f"plugin file {path} does not exist")
            name = f"salad_local_plugin_{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            return mod
        return importlib.import_module(text)

    def _register(self, module: ModuleType, name: str, info: PluginInfo) -> None:
        self.pm.register(module, name=name)
        self.pm.check_pending()  # a hook implementation with no matching spec is an error
        self.plugins[name] = info

    def _fail(self, name: str, ep_text: str, dist: str, exc: BaseException) -> None:
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self.plugins.pop(name, None)
        self.failures.append(PluginFailure(
            name, ep_text, dist, f"{type(exc).__name__}: {exc}",
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))

    # -- collecting records --------------------------------------------------------------------
    def collect(self) -> None:
        """(Re)build the registries from every registered plugin's hooks."""
        self.registries = {key: Registry(key) for key in KINDS}
        self.duplicates = []
        for key, info in KINDS.items():
            caller = getattr(self.pm.hook, info.hook)
            for impl in reversed(caller.get_hookimpls()):
                self._collect_impl(key, impl)

    def _collect_impl(self, kind: str, impl: pluggy.HookImpl) -> None:
        pinfo = self.plugins.get(impl.plugin_name)
        dist = pinfo.distribution if pinfo else "?"
        ep_text = pinfo.entry_point if pinfo else impl.plugin_name
        try:
            records = list(impl.function() or [])
            for rec in records:
                if not isinstance(rec, ComponentRecord):
                    raise PluginLoadError(f"{impl.function.__name__} returned {rec!r}, "
                                          "not a ComponentRecord")
                problems = rec.problems()
                if problems:
                    raise PluginLoadError(f"record {rec.name!r}: " + "; ".join(problems))
        except Exception as exc:
            self._fail(impl.plugin_name, ep_text, dist, exc)
            return
        registry = self.registries[kind]
        for rec in records:
            rec = rec.with_origin(kind=kind, plugin=impl.plugin_name, distribution=dist,
                                  entry_point=ep_text)
            if rec.name in registry:
                other = registry.get(rec.name)
                self.duplicates.append(
                    f"{KINDS[kind].title} {rec.name!r} is registered twice: by distribution "
                    f"{other.distribution!r} (plugin {other.entry_point}) and by distribution "
                    f"{rec.distribution!r} (plugin {rec.entry_point})")
                continue
            registry.add(rec)

    def check_duplicates(self) -> None:
        if self.duplicates:
            raise DuplicateComponentError("\n".join(self.duplicates))

    # -- queries ----------------------------------------------------------------------------
    def registry(self, kind: str) -> Registry:
        return self.registries[kind_info(kind).key]

    def all_records(self) -> list[ComponentRecord]:
        return [r for reg in self.registries.values() for r in reg.records()]

    def find(self, name: str) -> list[ComponentRecord]:
        return [r for r in self.all_records() if r.name == name]


_default: PluginHost | None = None


def get_host(refresh: bool = False) -> PluginHost:
    """The process-wide plugin host (entry points, environment); built on first use."""
    global _default
    if _default is None or refresh:
        _default = PluginHost()
        _default.check_duplicates()
    return _default


def host_for(modules: Iterable[str | Path] = (), base: Path | None = None) -> PluginHost:
    """The default host plus the local plugin modules of a config's ``plugins`` list (relative
    paths are read from ``base``, default the working directory)."""
    host = get_host()
    modules = list(modules)
    if not modules:
        return host
    for m in modules:
        host.load_module(m, base=base)
    host.collect()
    host.check_duplicates()
    return host
