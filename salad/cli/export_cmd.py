"""``salad export`` (a run's speech LM in Hugging Face layout) and ``salad generate`` (continue a
spoken or mixed prompt with an exported model)."""

from __future__ import annotations

import argparse

EXPORT_EXAMPLES = """\
examples:
  salad export runs/mini-20250101-120000 --out models/mini
      the final Stage I checkpoint (student, adapter, markers, model card)
  salad export runs/mini-20250101-120000 --checkpoint pre-decay --out models/mini-pre
      another checkpoint: a name under stage1/checkpoints/, 'aligned' or 'initial'
  salad export runs/lora-run --lora adapter --out models/lora
      a LoRA student kept as a PEFT adapter (student-lora/) beside the base (student/)
  salad export runs/mini-20250101-120000 --out models/mini --verify q1.wav q2.wav
      load the export back and print the largest logit difference on these spoken prompts
"""

GENERATE_EXAMPLES = """\
examples:
  salad generate models/mini --audio question.wav
      continue the spoken prompt (greedy)
  salad generate models/mini --audio question.wav --text 'Answer:' --max-new-tokens 10
      a mixed prompt: speech, then text
  salad generate models/mini --prefix 'Question:' --audio q.wav --temperature 0.8 --seed 1
      text before the speech; sampled (--top-k to cut the tail)
"""


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="write a run's speech LM in Hugging Face layout with a model card",
        description="Writes the student LM (save_pretrained), the adapter (safetensors and "
                    "config), the boundary markers, the encoder's registry reference and a "
                    "model card with the run's numbers into --out. Load it with salad generate "
                    "or salad.inference.load_exported.",
        epilog=EXPORT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", help="run directory, or a checkpoint directory inside one")
    p.add_argument("--out", required=True, help="new or empty folder (an earlier export there "
                                                "is replaced)")
    p.add_argument("--checkpoint", default="final",
                   help="checkpoint under stage1/checkpoints/ (default final), STAGE/NAME "
                        "(stage2/final), 'aligned' or "
                        "'initial'")
    p.add_argument("--lora", choices=("merge", "adapter"), default="merge",
                   help="a LoRA student: merged into the weights (default) or kept as a PEFT "
                        "adapter")
    p.add_argument("--verify", nargs="+", default=[], metavar="AUDIO",
                   help="load the export back and compare its logits with the run's on these "
                        "spoken prompts")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "generate", help="continue a spoken or mixed prompt with an exported speech LM",
        description="Loads an exported speech LM (salad export), encodes --audio with the "
                    "encoder it references and continues BOS + --prefix + speech + --text.",
        epilog=GENERATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="folder written by salad export")
    p.add_argument("--audio", help="audio file (wav/flac/ogg), resampled to the encoder's rate")
    p.add_argument("--prefix", default="", help="text before the speech")
    p.add_argument("--text", default="", help="text after the speech (a space is put between)")
    p.add_argument("--max-new-tokens", type=int, default=40)
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--top-k", type=int, default=0, help="sample from the k likeliest tokens")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=cmd_generate)


def cmd_export(args) -> int:
    from ..inference import export_run

    export_run(args.target, args.out, checkpoint=args.checkpoint, lora=args.lora,
               verify=args.verify)
    return 0


def cmd_generate(args) -> int:
    from ..core.errors import SaladError
    from ..inference import generate, load_exported, prompt_embeddings
    from ..inference.prompt import decode, encode_audio, stop_ids

    if args.max_new_tokens < 1:
        raise SaladError("--max-new-tokens must be at least 1")
    model = load_exported(args.model)
    frames = encode_audio(model.encoder, [args.audio])[0] if args.audio else None
    emb = prompt_embeddings(model.speech_lm, frames, args.prefix, args.text)
    ids = generate(model.speech_lm, emb, args.max_new_tokens, args.temperature, args.top_k,
                   args.seed, stop_ids(model.speech_lm.student))
    print(decode(model.speech_lm.student, ids))
    return 0
