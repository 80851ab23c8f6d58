"""Analyses of the paper: misalignment scaling laws and what predicts accuracy."""
