"""Stage I training: cross-modal distillation of the speech LLM from the text teacher."""
