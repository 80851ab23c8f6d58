"""A kind is one module in salad/core/kinds: hooks, registries, recipe slots, port rules,
protocols and contract suites all follow from it."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import textwrap

import pytest

from salad.core import hookspecs, protocols
from salad.core.kinds import KINDS, PORT_RULES, PROTOCOLS, SLOT_KINDS
from salad.core.plugin_host import PluginHost
from salad.testing import CONTRACTS, ComponentContract

from .conftest import REPO

SPEC_NAMES = sorted(n for n, f in vars(hookspecs).items()
                    if n.startswith("salad_") and inspect.isfunction(f))


def test_everything_per_kind_derives_from_the_kind_modules():
    assert sorted(k.hook for k in KINDS.values()) == SPEC_NAMES
    assert set(PROTOCOLS) == set(KINDS) == set(CONTRACTS)
    assert set(PluginHost(autoload=False).registries) == set(KINDS)
    assert SLOT_KINDS == {k.slot: key for key, k in KINDS.items() if k.slot}
    for key, kind in KINDS.items():
        suite = CONTRACTS[key]
        assert suite.__name__ == kind.contract and suite.kind == key
        assert issubclass(suite, ComponentContract) and issubclass(suite, kind.checks)
        assert suite.required_ports == kind.required_ports
        assert set(kind.required_ports) <= set(kind.ports) or not kind.ports
        assert getattr(protocols, kind.protocol.__name__) is kind.protocol


def test_port_rules_tie_real_slots():
    assert PORT_RULES
    for rule in PORT_RULES:
        assert rule.source_slot in SLOT_KINDS and rule.target_slot in SLOT_KINDS, rule
        target = KINDS[SLOT_KINDS[rule.target_slot]]
        assert rule in target.port_rules, "a rule lives in the module of the slot it checks"


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


NEW_KIND = '''
"""Widgets: a kind added by this one file."""
from typing import Protocol, runtime_checkable

from ._kind import Kind, PortRule


@runtime_checkable
class Widget(Protocol):
    size: int


class WidgetChecks:
    def test_has_size(self, component):
        assert component.size > 0


KIND = Kind(key="widget", hook="salad_widgets", title="widget", description="A widget.",
            protocol=Widget, contract="WidgetContract", checks=WidgetChecks,
            example="acme.widget.v1", slot="widget", ports=("size",), required_ports=("size",),
            port_rules=(PortRule("adapter", "downsample", "widget", "size", "why not"),))
'''

CHECK_NEW_KIND = '''
import sys
from pathlib import Path
import salad
from salad.core import hookspecs, protocols
from salad.core.kinds import KINDS, SLOT_KINDS
from salad.core.plugin_host import PluginHost
from salad.recipe import validate_recipe
from salad.testing import CONTRACTS, WidgetContract

assert Path(salad.__file__).is_relative_to(Path.cwd()), salad.__file__
assert "widget" in KINDS and SLOT_KINDS["widget"] == "widget"
assert hookspecs.salad_widgets.__doc__.startswith("A widget.")
assert protocols.Widget is KINDS["widget"].protocol
assert CONTRACTS["widget"] is WidgetContract and WidgetContract.kind == "widget"
host = PluginHost(modules=[sys.argv[1]])
assert host.registry("widget").names() == ["acme.widget.v1"], host.failures
recipe = {"name": "w", "components": {
    "adapter": {"name": "salad.mlp_adapter.v1", "config": {"downsample": 3}},
    "widget": {"name": "acme.widget.v1"}}}
try:
    validate_recipe(recipe, host=host)
except salad.RecipeError as exc:
    assert "widget size 2 (acme.widget.v1) does not match adapter downsample 3" in str(exc)
else:
    raise AssertionError("the widget's port rule was not applied")
print("new kind OK")
'''

WIDGET_PLUGIN = '''
from pydantic import BaseModel, ConfigDict
import salad

class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")

@salad.hookimpl
def salad_widgets():
    return [salad.ComponentRecord(name="acme.widget.v1", version="1", config=Cfg,
                                  factory=dict, summary="A widget.", ports=lambda c: {"size": 2})]
'''


def test_a_new_kind_is_one_new_file(tmp_path):
    """Copy the package, add one kind module, and everything else knows the kind."""
    shutil.copytree(REPO / "salad", tmp_path / "salad",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "salad" / "core" / "kinds" / "widget.py").write_text(
        textwrap.dedent(NEW_KIND), encoding="utf-8")
    plugin = tmp_path / "widget_plugin.py"
    plugin.write_text(WIDGET_PLUGIN, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", CHECK_NEW_KIND, str(plugin)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "new kind OK" in out.stdout
