"""The plugin host: what a component kind is (:mod:`~salad.core.kinds`, one module per kind),
the records plugins hand over (:mod:`~salad.core.records`), the pluggy hook specifications
derived from the kinds (:mod:`~salad.core.hookspecs`), plugin discovery
(:mod:`~salad.core.plugin_host`) and one registry per kind (:mod:`~salad.core.registry`); plus
the plain records components exchange (:mod:`~salad.core.items`), component references and their
resolution (:mod:`~salad.core.refs`), errors and did-you-mean suggestions.

Nothing here imports torch or anything outside ``salad.core``.
"""
