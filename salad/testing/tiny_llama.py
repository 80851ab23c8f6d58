"""A tiny randomly initialised Llama checkpoint with its own BPE tokenizer, written to a local
directory: a stand-in for real LMs in fast tests (``salad.hf_lm.v1`` with ``model=<dir>``).
Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

_CORPUS = [
    "The capital of France is Paris.", "A cat sat on the mat and looked at the dog.",
    "Speech and text should mean the same thing to a language model.",
    "She sells sea shells by the sea shore.", "Numbers like 12, 345 and 6789 appear too.",
    "How are you today? I am fine, thank you!", "The quick brown fox jumps over the lazy dog.",
]
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]


def write_tiny_llama(path: str | Path, *, hidden_size: int = 64, layers: int = 2,
                     vocab_size: int = 320, seed: int = 0) -> Path:
    """Write config, safetensors weights and a fast tokenizer to ``path``; return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>",
                                   eos_token="<|im_end|>", unk_token="<unk>",
                                   pad_token="<|im_end|>")
    fast.save_pretrained(path)
    heads = max(1, hidden_size // 16)
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
        max_position_embeddings=512, tie_word_embeddings=True,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id)
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(path, safe_serialization=True)
    return path
