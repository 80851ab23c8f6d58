"""The speech LLM: interleaved speech/text layouts and the encoder -> adapter -> LM model."""
