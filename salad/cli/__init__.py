"""The ``salad`` command line."""
