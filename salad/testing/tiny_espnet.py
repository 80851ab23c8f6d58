"""A tiny randomly initialised ESPnet2 TTS model (Tacotron 2, characters, Griffin-Lim), written
to a local directory: a stand-in for real ESPnet models in the contract tests of
``salad.espnet_tts.v1`` (``train_config`` + ``model_file``). Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

CHARS = list(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,?!'-")
SAMPLE_RATE = 8000


def write_tiny_espnet_tts(path: str | Path, seed: int = 0) -> tuple[Path, Path]:
    """Write ``config.yaml`` and ``model.pth`` to ``path``; return their paths. The decoder's
    stop-token bias is pushed down, so every utterance runs to ESPnet's length limit (10 frames
    per input character, 80 ms of audio per character): speech-like durations from random
    weights."""
    import torch
    import yaml
    from espnet2.tasks.tts import TTSTask

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    args = TTSTask.get_parser().parse_args([])
    args.token_list = ["<blank>", "<unk>", *CHARS, "<sos/eos>"]
    args.token_type, args.cleaner, args.g2p, args.normalize = "char", None, None, None
    args.feats_extract = "fbank"
    args.feats_extract_conf = {"fs": SAMPLE_RATE, "n_fft": 256, "hop_length": 64,
                               "win_length": 256, "n_mels": 20, "fmin": 0,
                               "fmax": SAMPLE_RATE // 2}
    args.tts = "tacotron2"
    args.tts_conf = {"embed_dim": 16, "elayers": 1, "eunits": 16, "econv_layers": 1,
                     "econv_chans": 16, "econv_filts": 3, "atype": "location", "adim": 16,
                     "aconv_chans": 4, "aconv_filts": 3, "dlayers": 1, "dunits": 16,
                     "prenet_layers": 1, "prenet_units": 16, "postnet_layers": 1,
                     "postnet_chans": 16, "postnet_filts": 3, "reduction_factor": 1}
    torch.manual_seed(seed)
    model = TTSTask.build_model(args)
    with torch.no_grad():
        model.tts.dec.prob_out.bias.fill_(-20.0)
    config, weights = path / "config.yaml", path / "model.pth"
    config.write_text(yaml.safe_dump(vars(args)), encoding="utf-8")
    torch.save(model.state_dict(), weights)
    return config, weights
