"""Plugin discovery through entry points, failures, duplicates, blocking, local modules."""

from __future__ import annotations

import json

from salad.core.hookspecs import hookspec  # noqa: F401  (hookspecs module is the documented API)
from salad.core.plugin_host import PluginHost

from .conftest import run_salad

GOOD = '''
from pydantic import BaseModel, ConfigDict
import salad

class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")

@salad.hookimpl
def salad_losses():
    return [salad.ComponentRecord(name="acme.zero_loss.v1", version="1.2", config=Cfg,
            factory="math:nan", summary="A third-party loss.")]
'''

DUPLICATE = '''
from pydantic import BaseModel, ConfigDict
import salad

class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")

@salad.hookimpl
def salad_losses():
    return [salad.ComponentRecord(name="salad.nll.v1", version="9", config=Cfg,
            factory="math:nan", summary="Clashes with the core NLL loss.")]
'''

BROKEN = "import salad\nraise RuntimeError('plugin exploded on import')\n"


def test_third_party_entry_point_is_listed(fake_distribution):
    env = fake_distribution("acme-losses", "acme_losses", GOOD)
    out = run_salad("plugins", "list", "--kind", "loss", "--json", env=env)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["acme.zero_loss.v1"]["distribution"] == "acme-losses"
    assert rows["salad.nll.v1"]["distribution"] == "salad-speech"


def test_broken_plugin_reported_with_entry_point_and_traceback(fake_distribution):
    env = fake_distribution("acme-broken", "acme_broken", BROKEN)
    out = run_salad("plugins", "check", env=env)
    assert out.returncode == 1
    assert "acme_broken = acme_broken" in out.stdout
    assert "distribution acme-broken" in out.stdout
    assert "RuntimeError: plugin exploded on import" in out.stdout
    assert "Traceback" in out.stdout
    listed = run_salad("plugins", "list", env=env)
    assert listed.returncode == 0 and "salad.nll.v1" in listed.stdout
    assert "failed to load" in listed.stderr


def test_duplicate_name_names_both_distributions(fake_distribution):
    env = fake_distribution("acme-dup", "acme_dup", DUPLICATE)
    out = run_salad("plugins", "check", env=env)
    assert out.returncode == 1
    assert "'salad.nll.v1' is registered twice" in out.stdout
    assert "'salad-speech'" in out.stdout and "'acme-dup'" in out.stdout
    listed = run_salad("plugins", "list", env=env)
    assert listed.returncode == 1 and "registered twice" in listed.stderr


def test_block_list_and_disable_autoload(fake_distribution):
    env = fake_distribution("acme-broken", "acme_broken", BROKEN)
    blocked = run_salad("plugins", "check", env={**env, "SALAD_BLOCK_PLUGINS": "acme_broken"})
    assert blocked.returncode == 0, blocked.stdout
    off = run_salad("plugins", "list", "--json",
                    env={**env, "SALAD_DISABLE_PLUGIN_AUTOLOAD": "1",
                         "SALAD_PLUGINS": "salad_plugins.distill_losses.hooks"})
    names = {r["name"] for r in json.loads(off.stdout)}
    assert names == {"salad.nll.v1", "salad.kl_distill.v1", "salad.distill_mix.v1"}


def test_recipe_lists_local_plugin_file(tmp_path, salad_write_recipe):
    (tmp_path / "my_plugin.py").write_text(GOOD, encoding="utf-8")
    recipe = salad_write_recipe({"name": "x", "plugins": ["my_plugin.py"],
                                 "components": {"loss": {"name": "acme.zero_loss.v1"}}})
    out = run_salad("validate", str(recipe))
    assert out.returncode == 0, out.stderr
    missing = salad_write_recipe({"name": "x", "plugins": ["nowhere.py"]}, "m.yaml")
    out = run_salad("validate", str(missing))
    assert out.returncode == 1 and "local plugin 'nowhere.py' failed to load" in out.stderr


def test_isolated_host_from_module(salad_isolated_host):
    host = salad_isolated_host("salad_plugins.kl_misalignment.hooks")
    assert host.registry("misalignment_scorer").names() == ["salad.kl_misalignment.v1"]
    assert len(host.registry("loss")) == 0


def test_malformed_record_is_a_failure(tmp_path):
    bad = tmp_path / "bad_record.py"
    bad.write_text(GOOD.replace("acme.zero_loss.v1", "NotAName").replace(
        'extra="forbid"', 'extra="allow"'), encoding="utf-8")
    host = PluginHost(autoload=False, modules=[bad])
    assert len(host.registry("loss")) == 0
    (failure,) = host.failures
    assert "does not look like 'namespace.component.vN'" in failure.error
    assert "must set extra='forbid'" in failure.error


def test_unknown_hook_is_rejected(tmp_path):
    bad = tmp_path / "typo_hook.py"
    bad.write_text("import salad\n@salad.hookimpl\ndef salad_tts_engine():\n    return []\n",
                   encoding="utf-8")
    host = PluginHost(autoload=False, modules=[bad])
    assert host.failures and "salad_tts_engine" in host.failures[0].error
