"""k-means with faiss (CPU, or GPU when faiss reports GPUs)."""
