"""The ``inspect`` stage: build every component, check it against its protocol and declared
ports, count parameters. ``spec.py``: config (torch-free); ``run.py``: the loop."""
