"""Every registration hook is documented with an example and delivers records to its kind."""

from __future__ import annotations

import inspect

import pytest

from salad.core import hookspecs
from salad.core.kinds import KINDS
from salad.core.plugin_host import PluginHost
from salad.core.protocols import PROTOCOLS
from salad.testing import CONTRACTS

SPEC_NAMES = sorted(n for n, f in vars(hookspecs).items()
                    if n.startswith("salad_") and inspect.isfunction(f))


def test_one_hook_protocol_and_contract_per_kind():
    assert sorted(k.hook for k in KINDS.values()) == SPEC_NAMES
    assert set(PROTOCOLS) == set(KINDS) == set(CONTRACTS)


@pytest.mark.parametrize("hook", SPEC_NAMES)
def test_hook_documented_with_example(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Example:" in doc and "ComponentRecord(name=" in doc


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hook_delivers_records_to_its_kind(kind, tmp_path):
    hook = KINDS[kind].hook
    plugin = tmp_path / f"plugin_{kind}.py"
    plugin.write_text(
        "from pydantic import BaseModel, ConfigDict\nimport salad\n"
        "class Cfg(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n"
        f"@salad.hookimpl\ndef {hook}():\n"
        f"    return [salad.ComponentRecord(name='test.{kind}_thing.v1', version='1',"
        " config=Cfg, factory=dict, summary='x')]\n", encoding="utf-8")
    host = PluginHost(autoload=False, modules=[plugin])
    assert not host.failures
    for other in KINDS:
        names = host.registry(other).names()
        assert names == ([f"test.{kind}_thing.v1"] if other == kind else [])
    record = host.registry(kind).get(f"test.{kind}_thing.v1")
    assert record.kind == kind and record.build({}) == {}
