"""Whisper speech encoders: packaged CTranslate2 models converted to PyTorch, and HF models."""
