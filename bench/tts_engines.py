"""Synthesis speed and ASR word error per TTS engine/voice on a few sentences.

    python bench/tts_engines.py [--asr tiny.en|base|none] [--sentences N] [--threads N]
        [--engines NAME ...]

Prints, per engine and voice: real-time factor (synthesis seconds / audio seconds, after the
first call so that loading is excluded) and corpus WER of the Whisper transcripts
(``--asr none`` skips ASR). ``--threads`` sets onnxruntime threads of Piper and Kokoro.
"""

from __future__ import annotations

import argparse
import time

from salad.asr import WhisperTranscriber, corpus_wer
from salad.core.plugin_host import get_host

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "She opened the window and looked at the garden.",
    "We should leave early if we want to catch the train.",
    "My brother bought a new bicycle last summer.",
    "Please put the books back on the shelf when you are done.",
    "The weather was cold, so they stayed inside and read.",
]
VOICES = {
    "salad.piper_tts.v1": ["joe"],
    "salad.flite_tts.v1": ["kal", "kal16", "awb", "rms", "slt"],
    "salad.festival_tts.v1": ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"],
    "salad.espeak_tts.v1": ["en-us", "en-gb", "en-gb-scotland", "en-us+f3"],
    "salad.kokoro_tts.v1": ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"],
}
THREADED = {"salad.piper_tts.v1", "salad.kokoro_tts.v1"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--asr", default="tiny.en")
    ap.add_argument("--sentences", type=int, default=len(SENTENCES))
    ap.add_argument("--engines", nargs="*", default=list(VOICES), help="registry names")
    ap.add_argument("--threads", type=int, default=1, help="Piper/Kokoro onnxruntime threads")
    args = ap.parse_args()
    texts = SENTENCES[: args.sentences]
    asr = None if args.asr == "none" else WhisperTranscriber(args.asr)
    registry = get_host().registry("tts_engine")
    print(f"{'engine':24} {'voice':24} {'RTF':>7} {'WER':>6}  (ASR {args.asr}, {len(texts)} "
          "sentences)")
    for name in args.engines:
        voices = VOICES[name]
        config = {"num_threads": args.threads} if name in THREADED else {}
        engine = registry.build(name, config)
        for voice in voices:
            engine.synthesize("Warm up.", voice)
            synth_s = audio_s = 0.0
            pairs = []
            for text in texts:
                t0 = time.perf_counter()
                audio = engine.synthesize(text, voice)
                synth_s += time.perf_counter() - t0
                audio_s += len(audio) / engine.sample_rate
                if asr is not None:
                    pairs.append((text, asr.transcribe(audio, engine.sample_rate)))
            word_error = f"{corpus_wer(pairs):6.1%}" if asr is not None else "     -"
            print(f"{name:24} {voice:24} {synth_s / audio_s:7.3f} {word_error}")


if __name__ == "__main__":
    main()
