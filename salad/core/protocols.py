"""The ``typing.Protocol`` of every component kind, by class name (``SpeechEncoder``,
``LanguageModel``, ``TTSEngine``, ...) and by kind (:data:`PROTOCOLS`).

Each protocol is defined in its kind's module in :mod:`salad.core.kinds`; this module gathers
them. Components satisfy them structurally. Importing it never imports torch.
"""

from __future__ import annotations

from .kinds import PROTOCOLS
from .kinds.loss import TeacherTopK

globals().update({p.__name__: p for p in PROTOCOLS.values()})

__all__ = ["PROTOCOLS", "TeacherTopK", *sorted({p.__name__ for p in PROTOCOLS.values()})]
