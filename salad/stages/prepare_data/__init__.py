"""The ``prepare_data`` stage: the miniature's text and speech sets. ``spec.py``: its config is
``mini.MiniDataConfig`` (torch-free); ``run.py``: wiring; ``mini.py``: the text sets and the
synthesis jobs (:mod:`salad.synthesis`) that speak them; also ``salad data prepare-mini``."""
