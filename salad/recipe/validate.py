"""Total, early recipe validation: every problem, with its location, before anything is built.

Checked: the recipe's own fields; each component's registry name, config and declared ports,
and the port rules between slots; each stage's name, config, needed slots and checks; and every
component a stage config names (voices, benchmarks, corpora, the ASR model, ...) through its
registry (:mod:`salad.core.refs`). The recipe's ``seed`` is the ``seed`` of every stage config
that has one and does not set it. Local plugin modules the recipe lists are imported (their
code runs) so that their components can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..core.errors import Problem, RecipeError
from ..core.kinds import KINDS, PORT_RULES, RECIPE_PORT_RULES, SLOT_KINDS
from ..core.plugin_host import PluginHost, host_for
from ..core.problems import problems_from_validation
from ..core.records import ComponentRecord
from ..core.refs import check_refs, collect_refs
from ..core.suggest import did_you_mean
from ..data.files import dump_yaml
from ..stages import STAGES, StageDef
from .load import LoadedRecipe, load_recipe
from .schema import ComponentSpec, Recipe, StageSpec


@dataclass
class ResolvedComponent:
    """A recipe component whose record was found and whose config validated."""

    slot: str
    loc: str
    kind: str
    record: ComponentRecord
    config: BaseModel
    ports: dict[str, Any]

    def build(self) -> Any:
        return self.record.build(self.config)


@dataclass
class ValidatedRecipe:
    recipe: Recipe
    loaded: LoadedRecipe
    host: PluginHost
    components: dict[str, list[ResolvedComponent]] = field(default_factory=dict)
    stage_configs: list[tuple[StageSpec, BaseModel]] = field(default_factory=list)
    stage_defs: dict[str, StageDef] = field(default_factory=dict)

    def component(self, slot: str) -> ResolvedComponent:
        found = self.components.get(slot) or []
        if len(found) != 1:
            raise KeyError(f"recipe slot {slot!r} holds {len(found)} components, expected one")
        return found[0]

    def build(self, slot: str) -> Any:
        return self.component(slot).build()

    def used_records(self) -> list[ComponentRecord]:
        return [c.record for comps in self.components.values() for c in comps]

    def resolved(self) -> dict[str, Any]:
        """The recipe as plain data with every component and stage config fully expanded."""
        data = self.recipe.model_dump(mode="json")
        for slot, comps in self.components.items():
            expanded = [{"name": c.record.name,
                         **({"kind": c.kind} if c.kind != SLOT_KINDS.get(slot) else {}),
                         "config": c.config.model_dump(mode="json")} for c in comps]
            data["components"][slot] = expanded if isinstance(
                self.recipe.components[slot], list) else expanded[0]
        data["stages"] = [{"name": spec.name, "config": cfg.model_dump(mode="json")}
                          for spec, cfg in self.stage_configs]
        return data

    def resolved_yaml(self) -> str:
        return dump_yaml(self.resolved())


class _Collector:
    def __init__(self, loaded: LoadedRecipe, host: PluginHost):
        self.loaded = loaded
        self.host = host
        self.problems: list[Problem] = []
        self.resolved: dict[str, list[ResolvedComponent]] = {}
        # Components whose config had errors, kept (with the bad keys dropped) so that
        # cross-component checks still run and report everything in one pass.
        self._partial: dict[str, list[ResolvedComponent]] = {}
        self.filled_slots: set[str] = set()  # slots the recipe fills, valid or not

    def add(self, loc: str, message: str) -> None:
        self.problems.append(Problem(loc, message, self.loaded.line_of(loc)))

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.loc, p.message)

    # -- components ------------------------------------------------------------------------
    def components(self, raw: Any) -> None:
        self.filled_slots = set(raw) if isinstance(raw, dict) else set()
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.add("components", "must be a mapping of slot name to component")
            return
        for slot, value in raw.items():
            if isinstance(value, list):
                for i, item in enumerate(value):
                    self.component(slot, f"components.{slot}.{i}", item)
            else:
                self.component(slot, f"components.{slot}", value)

    def component(self, slot: str, loc: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            self.add(loc, "must be a mapping with 'name' and optional 'config'")
            return
        try:
            spec = ComponentSpec.model_validate(raw)
        except ValidationError as exc:
            self.extend(problems_from_validation(exc, loc, ComponentSpec))
            return
        kind = spec.kind or SLOT_KINDS.get(slot)
        if kind is None:
            self.add(loc, f"slot {slot!r} is not a standard slot{did_you_mean(slot, SLOT_KINDS)}; "
                          f"standard slots: {', '.join(SLOT_KINDS)}; or give 'kind:'")
            return
        if kind not in KINDS:
            self.add(f"{loc}.kind", f"unknown kind {kind!r}{did_you_mean(kind, KINDS)} "
                                    f"(kinds: {', '.join(KINDS)})")
            return
        registry = self.host.registry(kind)
        if spec.name not in registry:
            self.add(f"{loc}.name", registry.unknown_message(spec.name))
            return
        record = registry.get(spec.name)
        try:
            config = record.make_config(spec.config)
        except ValidationError as exc:
            self.extend(problems_from_validation(exc, f"{loc}.config", record.config))
            config = self._config_without_bad_keys(record, spec.config, exc)
            if config is None:
                return
            # Keep checking the rest (ports) with the keys that were valid, but do not
            # return a resolved component for an invalid config.
            self._partial.setdefault(slot, []).append(ResolvedComponent(
                slot, loc, kind, record, config, self._ports(loc, record, config) or {}))
            return
        ports = self._ports(loc, record, config)
        if ports is not None:
            self.resolved.setdefault(slot, []).append(
                ResolvedComponent(slot, loc, kind, record, config, ports))
        self.extend(check_refs(collect_refs(config, f"{loc}.config"), self.host))

    def _ports(self, loc: str, record: ComponentRecord, config: BaseModel) -> dict | None:
        try:
            return record.declared_ports(config)
        except Exception as exc:  # a plugin bug; report, do not crash validation
            self.add(loc, f"{record.name}: declaring ports failed: {type(exc).__name__}: {exc}")
            return None

    @staticmethod
    def _config_without_bad_keys(record: ComponentRecord, values: dict,
                                 exc: ValidationError) -> BaseModel | None:
        bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
        try:
            return record.make_config({k: v for k, v in values.items() if k not in bad})
        except ValidationError:
            return None

    # -- cross-component -------------------------------------------------------------------
    def _single(self, slot: str) -> ResolvedComponent | None:
        found = (self.resolved.get(slot) or []) + (self._partial.get(slot) or [])
        return found[0] if len(found) == 1 else None

    def port_rules(self, recipe_fields: dict[str, Any]) -> None:
        for rule in PORT_RULES:
            a, b = self._single(rule.source_slot), self._single(rule.target_slot)
            if not a or not b:
                continue
            va, vb = a.ports.get(rule.source_port), b.ports.get(rule.target_port)
            if va is None or vb is None or va == vb:
                continue
            loc = b.loc + (f".config.{rule.target_port}"
                           if rule.target_port in type(b.config).model_fields else "")
            self.add(loc, f"{rule.target_slot} {rule.target_port} {vb!r} ({b.record.name}) "
                          f"does not match {rule.source_slot} {rule.source_port} {va!r} "
                          f"({a.record.name}): {rule.why}")
        for slot, port, field_name in RECIPE_PORT_RULES:
            comp = self._single(slot)
            want = recipe_fields.get(field_name)
            have = comp.ports.get(port) if comp else None
            if comp and have is not None and want is not None and have != want:
                self.add(comp.loc, f"{comp.record.name} expects {port} {have!r} but the recipe's "
                                   f"{field_name} is {want!r}")

    # -- stages ----------------------------------------------------------------------------
    def stages(self, raw: Any, seed: Any) -> list[tuple[StageSpec, BaseModel]]:
        out: list[tuple[StageSpec, BaseModel]] = []
        if raw is None:
            return out
        if not isinstance(raw, list):
            self.add("stages", "must be a list of {name, config}")
            return out
        for i, item in enumerate(raw):
            loc = f"stages.{i}"
            if isinstance(item, str):
                item = {"name": item}
            try:
                spec = StageSpec.model_validate(item)
            except ValidationError as exc:
                self.extend(problems_from_validation(exc, loc, StageSpec))
                continue
            stage = STAGES.get(spec.name)
            if stage is None:
                self.add(f"{loc}.name", f"unknown stage {spec.name!r}"
                         f"{did_you_mean(spec.name, STAGES)} (stages: {', '.join(STAGES)})")
                continue
            values = dict(spec.config)
            if "seed" in stage.config.model_fields and "seed" not in values and \
                    isinstance(seed, int):
                values["seed"] = seed  # the recipe's seed is every stage's default seed
            try:
                config = stage.config.model_validate(values)
            except ValidationError as exc:
                self.extend(problems_from_validation(exc, f"{loc}.config", stage.config))
                continue
            for slot in stage.needs:
                if slot not in self.filled_slots:
                    self.add(loc, f"stage {spec.name!r} needs component slot {slot!r}, "
                                  "which the recipe does not fill")
            self.stage_refs(loc, config)
            if stage.check is not None:
                ports = {s: c.ports for s in self.filled_slots if (c := self._single(s))}
                for p in stage.check(config, ports):
                    self.add(f"{loc}.config.{p.loc}" if p.loc else loc, p.message)
            out.append((spec, config))
        return out

    def stage_refs(self, loc: str, config: BaseModel) -> None:
        """Resolve the components a stage config names, with its own local plugins loaded."""
        modules = getattr(config, "plugins", None) or []
        host = host_for(modules) if modules else self.host
        for failure in host.failures:
            if failure.plugin in modules:
                self.add(f"{loc}.config.plugins",
                         f"local plugin {failure.plugin!r} failed to load: {failure.error}")
        self.extend(check_refs(collect_refs(config, f"{loc}.config"), host))


def validate_recipe(
    source: LoadedRecipe | str | Any, overrides: list[str] | tuple[str, ...] = (),
    host: PluginHost | None = None,
) -> ValidatedRecipe:
    """Validate everything; raise one :class:`RecipeError` listing every problem."""
    loaded = source if isinstance(source, LoadedRecipe) else load_recipe(source, overrides)
    data = loaded.data
    where = str(loaded.path) if loaded.path else None
    plugin_modules = data.get("plugins") or []
    if host is None:
        host = host_for(plugin_modules if isinstance(plugin_modules, list) else [],
                        base=loaded.base_dir)
    col = _Collector(loaded, host)
    for failure in host.failures:
        if failure.distribution == "<local>" and failure.plugin in map(str, plugin_modules):
            col.add("plugins", f"local plugin {failure.plugin!r} failed to load: {failure.error}")
    recipe: Recipe | None = None
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        col.extend([p for p in problems_from_validation(exc, "", Recipe)
                    if p.loc.split(".")[0] not in ("components", "stages")])
    col.components(data.get("components"))
    col.port_rules(data)
    stage_configs = col.stages(data.get("stages"), data.get("seed", 0))
    if col.problems or recipe is None:
        ordered = sorted(col.problems, key=lambda p: (p.line is None, p.line or 0))
        raise RecipeError(ordered, where)
    used = {spec.name: STAGES[spec.name] for spec, _ in stage_configs}
    return ValidatedRecipe(recipe, loaded, host, col.resolved, stage_configs, used)
