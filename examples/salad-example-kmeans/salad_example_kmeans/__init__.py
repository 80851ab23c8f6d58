"""Spherical k-means clustering backend for SALAD (example third-party plugin)."""
