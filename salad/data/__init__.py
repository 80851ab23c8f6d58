"""Data and I/O: reading and writing files safely (files), manifests (one reader, one error
policy), audio, text cleaning, the encoder feature cache, manifest export, TTS program tools and
where derived files live (paths)."""
