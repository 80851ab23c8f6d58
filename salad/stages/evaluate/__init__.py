"""The ``evaluate`` stage: benchmarks as text, as speech and through ASR. ``spec.py``: config and
the names it resolves at validation (benchmarks, voices, recordings, ASR model; torch-free);
``run.py``: wiring; the loop: :class:`salad.evaluation.suite.Evaluation`; also ``salad eval``."""
