"""Stage I training-step throughput on CPU and on CUDA, measured in one run.

    python bench/stage1_device.py [--devices cpu cuda] [--steps 5] [--batch 8] [--layers 30]

The trainer's own step (:meth:`Stage1Trainer.train_step`: adapter, student, top-k teacher
targets, AdamW) on a student shaped like the miniature's SmolLM2-135M (hidden 576, 30 layers,
9 heads, 3 KV heads, vocabulary 49,152; random weights, since the packaged GGUF cannot travel)
and the Transformer adapter on synthetic 512-d frames at 50 Hz: 8 windows of 4 utterances per
step, half of them spoken. Each device uses its dtype policy (fp32 on CPU, bf16 autocast and
fused AdamW on CUDA). Prints student positions/s per device and their ratio. Needs no data.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import torch

from salad.core.plugin_host import get_host
from salad.speech.model import SpeechLM
from salad.testing.tiny_llama import write_tiny_llama
from salad.training.config import Stage1Config
from salad.training.data import ExampleBuilder, Utterance, windows
from salad.training.device import resolve_device
from salad.training.reading import HalfItem, HalvesSet
from salad.training.stage1 import Stage1Trainer
from salad.training.teacher_cache import TeacherCache

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "log", "big", "small",
         "red", "blue", "speech", "text", "model", "reads", "what", "it", "hears", "and", "says"]


def smollm2_shaped(path: Path, layers: int) -> Path:
    """A random Llama with SmolLM2-135M's shapes (the tiny tokenizer; ids fit the vocab)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    write_tiny_llama(path)
    config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536,
                         num_hidden_layers=layers, num_attention_heads=9, num_key_value_heads=3,
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         bos_token_id=1, eos_token_id=2, pad_token_id=2)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(path, safe_serialization=True)
    return path


def measure(device_name: str, lm_dir: Path, args, out: Path) -> float:
    device = resolve_device(device_name)
    rng = random.Random(0)
    utts = [Utterance(f"u{i}", " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))),
                      f"d{i // 4}") for i in range(args.batch * 4 * (args.steps + 2))]
    frames = {u.id: torch.randn(len(u.text) * 4, 512) for u in utts}  # about 50 Hz
    host = get_host()

    def lm(kind, **config):
        return host.registry(kind).build("salad.hf_lm.v1", {"model": str(lm_dir), **config})

    student, teacher = lm("student_lm", training="full"), lm("teacher_lm")
    adapter = host.registry("adapter").build("salad.transformer_adapter.v1",
                                             {"input_dim": 512, "output_dim": 576})
    cfg = Stage1Config(train_manifest="-", heldout=[{"name": "h", "speech": "-", "texts": "-"}],
                       batch_size=args.batch, steps=1000, speech_prob=0.5, text_fraction=0.0)
    held = HalvesSet("h", [HalfItem("x", "x", "v", "a", "b", 1)], [0])
    wins = windows(utts, 4)
    trainer = Stage1Trainer(cfg, SpeechLM(adapter, student), teacher, None, None, wins, [held],
                            ExampleBuilder(student), lambda ids: [frames[i] for i in ids], out,
                            device=device)
    trainer.loss = host.registry("loss").build("salad.distill_mix.v1", {"alpha": 1.0})
    trainer.teacher_cache = TeacherCache.build(teacher, trainer.builder, wins, cfg.teacher_topk,
                                               out / "topk.safetensors", "bench")
    positions, seconds = 0, 0.0
    for step in range(args.steps + 2):  # two warm-up steps
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        metrics = trainer.train_step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= 2:
            positions += metrics["positions"]
            seconds += time.perf_counter() - start
    rate = positions / seconds
    print(f"{device_name:>5} ({trainer.precision.autocast_dtype or torch.float32}, "
          f"{torch.get_num_threads()} CPU threads): {rate:9.1f} student positions/s "
          f"({args.steps} steps of {args.batch} windows)", flush=True)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--layers", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    lm_dir = smollm2_shaped(tmp / "lm", args.layers)
    rates = {d: measure(d, lm_dir, args, tmp / d) for d in args.devices}
    if len(rates) == 2:
        a, b = args.devices
        print(f"ratio {b} / {a}: {rates[b] / rates[a]:.1f}x")


if __name__ == "__main__":
    main()
