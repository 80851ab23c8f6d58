"""k-means on text embeddings with scikit-learn (the CPU clustering backend)."""
