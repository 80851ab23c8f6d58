"""CTC-compressing adapter: a character CTC head whose transcript the LM reads as its own
token embeddings."""
