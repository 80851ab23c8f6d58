"""The ``align`` stage: LM-free CTC alignment of the adapter (loop: :mod:`salad.training.align`)."""
