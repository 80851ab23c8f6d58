"""The ``stage1`` stage: cross-modal distillation on natural speech. ``spec.py``: config, needed
slots, the check of the teacher cache against the loss (torch-free); ``run.py``: wiring (features,
utterances, components); the loop: :class:`salad.training.stage1.Stage1Trainer`."""
