"""Spoken and mixed prompts for an exported (or any) speech LM, and a visible decoding loop.

A prompt is the layout Stage I trains: the LM's BOS, optional text, the start marker, the
adapter's outputs for the audio, the end marker, optional text after it. Text after speech is
tokenized with a leading space, as every non-first utterance is in training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from ..core.errors import SaladError
from ..data.feature_cache import audio_problem, default_audio_loader, pad_waves


@torch.inference_mode()
def encode_audio(encoder, paths: Sequence[str | Path]) -> list[torch.Tensor]:
    """Encoder frames ``(T, D)`` of each audio file (read as mono at the encoder's rate)."""
    waves = []
    for path in paths:
        if not Path(path).is_file():
            raise SaladError(f"audio file {path} does not exist")
        audio = default_audio_loader(Path(path), encoder.sample_rate)
        problem = audio_problem(audio)
        if problem:
            raise SaladError(f"audio file {path}: {problem}")
        waves.append(audio)
    frames, lengths = encoder.encode(*pad_waves(waves))
    return [frames[i, : int(lengths[i])].float() for i in range(len(waves))]


@torch.inference_mode()
def prompt_embeddings(speech_lm, frames: torch.Tensor | None, prefix: str = "",
                      text: str = "") -> torch.Tensor:
    """``(L, H)`` student input embeddings of BOS + ``prefix`` + speech (``frames``, or none)
    + ``text``."""
    student = speech_lm.student
    if student.bos_id is None:
        raise SaladError("the student LM has no BOS id; set bos_id in its config")
    if frames is None and not (prefix or text):
        raise SaladError("an empty prompt: give audio, text or both")
    ids = [student.bos_id] + (student.tokenize([prefix])[0] if prefix else [])
    pieces = [student.embed(torch.tensor([ids]))[0].float()]
    if frames is not None:
        pieces.append(speech_lm.marked_spans([frames])[0].to(pieces[0].device))
        if text and not text[0].isspace():
            text = " " + text
    if text:
        pieces.append(student.embed(torch.tensor([student.tokenize([text])[0]]))[0].float())
    return torch.cat(pieces)


@torch.inference_mode()
def prompt_logits(speech_lm, embeddings: torch.Tensor) -> torch.Tensor:
    """``(L, V)`` next-token logits at every position of a prompt."""
    hidden = speech_lm.student.hidden_states(embeddings[None])
    return speech_lm.student.logits(hidden[0]).float()


@torch.inference_mode()
def generate(speech_lm, embeddings: torch.Tensor, max_new_tokens: int = 40,
             temperature: float = 0.0, top_k: int = 0, seed: int = 0,
             stop_ids: Sequence[int] = ()) -> list[int]:
    """Continue a prompt: greedy at ``temperature`` 0, else sampled (from the ``top_k`` most
    likely tokens when ``top_k`` > 0). Stops after ``max_new_tokens`` or at a stop id."""
    student = speech_lm.student
    generator = torch.Generator().manual_seed(seed)
    emb, out = embeddings, []
    for _ in range(max_new_tokens):
        logits = prompt_logits(speech_lm, emb)[-1]
        if temperature <= 0:
            token = int(logits.argmax())
        else:
            if top_k > 0:
                cut = logits.topk(min(top_k, logits.numel())).values[-1]
                logits = logits.masked_fill(logits < cut, float("-inf"))
            probs = torch.softmax(logits / temperature, dim=-1)
            token = int(torch.multinomial(probs, 1, generator=generator))
        if token in stop_ids:
            break
        out.append(token)
        emb = torch.cat([emb, student.embed(torch.tensor([[token]]))[0].float()])
    return out


def stop_ids(student) -> list[int]:
    """Token ids that end a continuation: the tokenizer's EOS and the LM's BOS (a document
    boundary for base LMs)."""
    eos = getattr(getattr(student, "tokenizer", None), "eos_token_id", None)
    return [i for i in (eos, student.bos_id) if i is not None]


def decode(student, ids: Sequence[int]) -> str:
    tokenizer = getattr(student, "tokenizer", None)
    if tokenizer is None:
        raise SaladError(f"the student {student!r} has no tokenizer to decode with")
    return tokenizer.decode(list(ids), skip_special_tokens=True)
