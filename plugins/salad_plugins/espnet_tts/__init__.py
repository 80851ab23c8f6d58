"""ESPnet2 text-to-speech (``espnet`` + ``espnet_model_zoo``) for users with model hub access."""
