"""The component kinds SALAD knows: one module per kind, each defining everything about it.

A kind module holds one :class:`Kind`: its registration hook name, its ``typing.Protocol``, the
recipe slot it fills, the ports its records declare and the port rules that tie it to other
slots, and the checks of its contract suite. The hook specifications
(:mod:`salad.core.hookspecs`), the registries, the recipe's standard slots and port rules, the
contract suites in :mod:`salad.testing` and :mod:`salad.core.protocols` are all derived from
these modules, so adding a kind is adding one module here (modules whose name starts with ``_``
hold shared pieces and are not kinds).
"""

from __future__ import annotations

import importlib
import pkgutil

from ..errors import SaladError
from ..suggest import did_you_mean
from ._kind import Kind, PortRule


def _discover() -> list[Kind]:
    kinds = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, Kind):
            raise SaladError(f"kind module {module.__name__} defines no KIND = Kind(...)")
        kinds.append(kind)
    return sorted(kinds, key=lambda k: (k.order, k.key))


KINDS: dict[str, Kind] = {k.key: k for k in _discover()}
KIND_BY_HOOK: dict[str, Kind] = {k.hook: k for k in KINDS.values()}
SLOT_KINDS: dict[str, str] = {k.slot: k.key for k in KINDS.values() if k.slot}
"""Standard recipe slot -> kind (a recipe names the kind of any other slot with ``kind:``)."""
PORT_RULES: tuple[PortRule, ...] = tuple(r for k in KINDS.values() for r in k.port_rules)
RECIPE_PORT_RULES: tuple[tuple[str, str, str], ...] = tuple(
    (k.slot, port, field) for k in KINDS.values() if k.slot for port, field in k.recipe_ports)
"""(slot, port, recipe field): a port that must equal a top-level recipe field."""
PROTOCOLS: dict[str, type] = {k.key: k.protocol for k in KINDS.values()}


def kind_info(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise SaladError(
            f"unknown component kind {key!r}{did_you_mean(key, KINDS)}; "
            f"kinds: {', '.join(KINDS)}"
        ) from None


__all__ = ["KINDS", "KIND_BY_HOOK", "PORT_RULES", "PROTOCOLS", "RECIPE_PORT_RULES", "SLOT_KINDS",
           "Kind", "PortRule", "kind_info"]
