"""Next-token losses over text positions: NLL, KL distillation, and their alpha mix."""
