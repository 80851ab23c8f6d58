"""Weight-free log-mel filterbank encoder (fast tests, CPU baselines)."""
