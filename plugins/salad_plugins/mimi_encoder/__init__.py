"""Mimi speech encoder (the paper's encoder) for online users."""
