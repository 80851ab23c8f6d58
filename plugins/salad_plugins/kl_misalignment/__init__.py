"""KL divergence between two next-token distributions (misalignment and forgetting)."""
