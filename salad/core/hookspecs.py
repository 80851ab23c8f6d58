"""Pluggy hook specifications: one registration hook per component kind, made from the kind
modules in :mod:`salad.core.kinds` (the hook's name, documentation and ports come from there).

A plugin is a module (named by an entry point in the ``salad.plugins`` group, or listed by a
recipe) that implements any of these hooks with ``@salad.hookimpl``. Each hook returns a list of
:class:`~salad.core.records.ComponentRecord`. Keep the module import-light: import heavy libraries
(torch, transformers, ...) inside factories, never at module level. Example::

    from pydantic import BaseModel, ConfigDict
    import salad

    class EchoConfig(BaseModel):
        model_config = ConfigDict(extra="forbid")
        voice: str = "default"

    @salad.hookimpl
    def salad_tts_engines():
        return [salad.ComponentRecord(
            name="acme.echo_tts.v1", version="0.1.0", config=EchoConfig,
            factory="acme_tts.engine:EchoTTS", summary="Says everything as a beep.",
            ports=lambda cfg: {"sample_rate": 16000})]
"""

from __future__ import annotations

import pluggy

from .kinds import KINDS, Kind

PROJECT = "salad"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


def _spec(kind: Kind):
    def spec() -> list: ...

    spec.__name__ = spec.__qualname__ = kind.hook
    spec.__doc__ = kind.hook_doc()
    spec.__module__ = __name__
    return hookspec(spec)


for _kind in KINDS.values():
    globals()[_kind.hook] = _spec(_kind)
del _kind
