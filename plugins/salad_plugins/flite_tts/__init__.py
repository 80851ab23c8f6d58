"""flite (Debian package ``flite``): five built-in CMU voices, called as a subprocess."""
