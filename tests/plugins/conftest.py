from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_whisper_dir(tmp_path_factory):
    """A randomly initialised tiny WhisperModel saved with ``save_pretrained`` (no hub)."""
    pytest.importorskip("transformers")
    import torch
    from transformers import WhisperConfig, WhisperModel

    torch.manual_seed(0)
    config = WhisperConfig(d_model=64, encoder_layers=2, encoder_attention_heads=2,
                           encoder_ffn_dim=128, decoder_layers=1, decoder_attention_heads=2,
                           decoder_ffn_dim=128, vocab_size=128, num_mel_bins=80,
                           max_source_positions=1500, max_target_positions=64,
                           pad_token_id=0, bos_token_id=1, eos_token_id=2,
                           decoder_start_token_id=1)
    path = tmp_path_factory.mktemp("tiny_whisper")
    WhisperModel(config).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_mimi_dir(tmp_path_factory):
    """A randomly initialised tiny MimiModel saved with ``save_pretrained`` (no hub)."""
    transformers = pytest.importorskip("transformers")
    if not hasattr(transformers, "MimiModel"):
        pytest.skip("this transformers has no MimiModel (needs >= 4.45)")
    import torch

    torch.manual_seed(0)
    config = transformers.MimiConfig(
        hidden_size=32, num_filters=2, upsample_groups=32, num_residual_layers=1,
        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
        intermediate_size=64, codebook_size=16, codebook_dim=16,
        vector_quantization_hidden_dimension=16, num_quantizers=2, num_semantic_quantizers=1)
    path = tmp_path_factory.mktemp("tiny_mimi")
    transformers.MimiModel(config).save_pretrained(path)
    return path
