"""Contract test suites and pytest fixtures for SALAD plugins.

Subclass the suite for your component's kind in a test file, name the component and a tiny
config, and pytest runs every contract check against it::

    from salad.testing import TTSEngineContract

    class TestMyEngine(TTSEngineContract):
        component_name = "acme.my_tts.v1"
        config = {"voice": "default"}

There is one suite per kind (:data:`CONTRACTS`). The fixtures in
:mod:`salad.testing.pytest_plugin` are available in any project that has
salad installed (``pytest11`` entry point).
"""

from .contracts import CONTRACTS, ComponentContract

globals().update({suite.__name__: suite for suite in CONTRACTS.values()})

__all__ = ["CONTRACTS", "ComponentContract", *sorted(s.__name__ for s in CONTRACTS.values())]
