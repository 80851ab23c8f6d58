"""Component records: what a plugin hands the core for each component it provides."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import SaladError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[0-9]+$")

Factory = Callable[[Any], Any]
Ports = Callable[[Any], Mapping[str, Any]]


@dataclass(frozen=True)
class ComponentRecord:
    """A registered component.

    name:     registry name, ``<namespace>.<component>.v<N>`` (bump N when behaviour or config
              changes), e.g. ``salad.piper_tts.v1``.
    version:  the implementation's version string.
    config:   pydantic model class with ``extra="forbid"``; its defaults form a small working setup.
    factory:  builds the component from a validated config instance. Either a callable (which
              imports heavy modules inside its body) or a ``"module:attribute"``
              string imported only when the component is built.
    summary:  one line for ``salad plugins list``.
    ports:    optional function of the validated config returning the component's declared
              interface (``output_dim``, ``input_dim``, ``sample_rate``, ``tokenizer``, ...). The
              recipe validator compares ports across components without building anything.
    kind / plugin / distribution / entry_point are filled in by the plugin host.
    """

    name: str
    version: str
    config: type[BaseModel]
    factory: Factory | str
    summary: str
    ports: Ports | None = None
    kind: str = ""
    plugin: str = ""
    distribution: str = ""
    entry_point: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Structural problems with the record itself (empty when well formed)."""
        out = []
        if not NAME_RE.match(self.name):
            out.append(f"name {self.name!r} does not look like 'namespace.component.vN'")
        if not (isinstance(self.config, type) and issubclass(self.config, BaseModel)):
            out.append("config must be a pydantic BaseModel subclass")
        elif self.config.model_config.get("extra") != "forbid":
            out.append(f"config {self.config.__name__} must set extra='forbid'")
        if not (callable(self.factory) or (isinstance(self.factory, str) and ":" in self.factory)):
            out.append("factory must be a callable or a 'module:attribute' string")
        if not self.summary or "\n" in self.summary:
            out.append("summary must be one non-empty line")
        if not self.version:
            out.append("version must be non-empty")
        return out

    def with_origin(self, **origin: str) -> ComponentRecord:
        return replace(self, **origin)

    def make_config(self, values: Mapping[str, Any] | BaseModel | None = None) -> BaseModel:
        if isinstance(values, self.config):
            return values
        return self.config.model_validate(dict(values or {}))

    def declared_ports(self, config: BaseModel) -> dict[str, Any]:
        return dict(self.ports(config)) if self.ports else {}

    def resolve_factory(self) -> Factory:
        if callable(self.factory):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        try:
            obj = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise SaladError(
                f"{self.name}: cannot import factory {self.factory!r} "
                f"(plugin {self.plugin or '?'}): {exc}"
            ) from exc
        return obj

    def build(self, values: Mapping[str, Any] | BaseModel | None = None) -> Any:
        """Validate ``values`` against the config model and build the component."""
        try:
            config = self.make_config(values)
        except ValidationError as exc:
            raise SaladError(f"{self.name}: invalid config:\n{exc}") from exc
        return self.resolve_factory()(config)
