"""Frame-stacking MLP projector from encoder frames to LM embeddings."""
