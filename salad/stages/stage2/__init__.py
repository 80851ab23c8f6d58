"""The ``stage2`` stage (``spec.py``: config and slots; ``run.py``: wiring)."""
