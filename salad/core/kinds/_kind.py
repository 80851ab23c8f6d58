"""What a kind module declares: :class:`Kind` and the :class:`PortRule` s between slots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortRule:
    """Port ``source_port`` of the component in ``source_slot`` must equal port
    ``target_port`` of the component in ``target_slot`` (checked when both are declared)."""

    source_slot: str
    source_port: str
    target_slot: str
    target_port: str
    why: str


@dataclass(frozen=True)
class Kind:
    """One component kind.

    key:            the kind's name (``tts_engine``), used by registries and recipes' ``kind:``.
    hook:           the pluggy hook through which plugins return its records.
    title:          how messages name a component of this kind.
    description:    one line, shown on the hook's documentation.
    protocol:       the ``typing.Protocol`` built components satisfy (torch-free to import).
    contract:       class name of its contract suite in :mod:`salad.testing`.
    checks:         the suite's kind-specific tests (a plain class; pytest, torch and numpy are
                    imported inside the tests); the suite adds the checks every kind shares.
    example:        a registry name of this kind, shown on the hook's documentation.
    slot:           the standard recipe slot that implies this kind (None: only custom slots).
    ports:          ports records of this kind declare (documented on the hook).
    required_ports: ports every record must declare (checked by the contract suite).
    port_rules:     rules that tie a port of this kind's slot to another slot's port.
    recipe_ports:   (port, recipe field) pairs that must be equal.
    order:          position in listings.
    """

    key: str
    hook: str
    title: str
    description: str
    protocol: type
    contract: str
    checks: type
    example: str
    slot: str | None = None
    ports: tuple[str, ...] = ()
    required_ports: tuple[str, ...] = ()
    port_rules: tuple[PortRule, ...] = ()
    recipe_ports: tuple[tuple[str, str], ...] = ()
    order: int = 100

    def hook_doc(self) -> str:
        """The docstring of this kind's hook specification."""
        ports = (" Ports: " + ", ".join(f"``{p}``" for p in self.ports) + ".") if self.ports else ""
        return (f"{self.description}{ports}\n\nReturns a list of ComponentRecord.\n\n"
                f"Example: ``[ComponentRecord(name=\"{self.example}\", ...)]``.")
