"""Contract suites, one per component kind (see :mod:`salad.testing`).

Each suite is :class:`ComponentContract` (the checks every kind shares) plus the checks its kind
module declares (``Kind.checks`` in :mod:`salad.core.kinds`); :data:`CONTRACTS` holds one per
kind, named by ``Kind.contract`` (``TTSEngineContract``, ...).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from ..core.kinds import KINDS, PROTOCOLS, Kind
from ..core.plugin_host import get_host


class ComponentContract:
    """Checks every component must pass, whatever its kind."""

    kind: ClassVar[str] = ""
    component_name: ClassVar[str] = ""
    config: ClassVar[dict[str, Any]] = {}
    # Ports that every component of this kind must declare.
    required_ports: ClassVar[tuple[str, ...]] = ()

    @pytest.fixture(scope="class")
    @classmethod
    def record(cls):
        if not cls.component_name:
            pytest.skip("abstract contract: set component_name")
        return get_host().registry(cls.kind).get(cls.component_name)

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record):
        return record.build(cls.config)

    def test_record_is_well_formed(self, record):
        assert record.problems() == []
        assert record.kind == self.kind
        assert record.distribution, "records carry the distribution that registered them"

    def test_config_rejects_unknown_keys(self, record):
        with pytest.raises(ValidationError):
            record.config.model_validate({**self.config, "no_such_option_xyz": 1})

    def test_default_config_is_valid(self, record):
        record.config()

    def test_ports_are_declared(self, record):
        ports = record.declared_ports(record.make_config(self.config))
        missing = [p for p in self.required_ports if ports.get(p) is None]
        assert not missing, f"{record.name} does not declare ports {missing}"

    def test_satisfies_protocol(self, component):
        assert isinstance(component, PROTOCOLS[self.kind])

    def test_hooks_module_is_import_light(self, record):
        """Listing plugins must not import torch: the hooks module stays light."""
        module = record.entry_point.split("=", 1)[-1].strip().split(":")[0]
        if not module or record.distribution == "<local>":
            pytest.skip("local plugin module")
        code = (f"import sys, importlib; importlib.import_module({module!r}); "
                "print('torch' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        assert out.stdout.strip() == "False", f"importing {module} imports torch"

    def _ports(self, record) -> dict[str, Any]:
        return record.declared_ports(record.make_config(self.config))

    def _assert_ports_match(self, record, component, names) -> None:
        ports = self._ports(record)
        for name in names:
            if ports.get(name) is not None:
                assert getattr(component, name) == ports[name], (
                    f"{record.name} declares {name}={ports[name]!r} but built "
                    f"{getattr(component, name)!r}")


def _suite(kind: Kind) -> type:
    return type(kind.contract, (kind.checks, ComponentContract), {
        "__module__": __name__, "kind": kind.key, "required_ports": kind.required_ports,
        "__doc__": f"Contract suite of the {kind.title} kind ({kind.protocol.__name__})."})


CONTRACTS: dict[str, type] = {key: _suite(kind) for key, kind in KINDS.items()}
globals().update({suite.__name__: suite for suite in CONTRACTS.values()})
