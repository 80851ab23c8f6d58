"""Data and I/O: audio, text cleaning, manifests, the encoder feature cache, TTS program tools."""
