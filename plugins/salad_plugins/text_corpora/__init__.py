"""Text corpus sources: popquotes, WordNet, fortunes, GCIDE, local files, Hugging Face."""
