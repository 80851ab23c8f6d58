"""Record of the CTC-compressing adapter. Imports only pydantic and salad (no torch)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salad import ComponentRecord, hookimpl

# Characters the CTC head spells (index 0 is the CTC blank): what speech carries. Case and
# punctuation are not heard; the frozen SmolLM2-135M reads lower-case unpunctuated first halves
# with 0.86 (narrow) and 0.98 (broad) of the information of the original text (docs/reading.md).
DEFAULT_ALPHABET = " abcdefghijklmnopqrstuvwxyz'"


class CTCAdapterConfig(BaseModel):
    """A CTC head spells the frames; its greedy transcript, tokenized by the student LM, becomes
    one LM input embedding per token (optionally plus a learned correction from the token's
    frames)."""

    model_config = ConfigDict(extra="forbid")
    input_dim: int = Field(512, ge=1, description="Encoder frame size (Whisper base: 512)")
    output_dim: int = Field(576, ge=1, description="LM hidden size (SmolLM2-135M: 576)")
    stack: int = Field(2, ge=1, le=8, description="Frames per CTC step (50 Hz -> 25 Hz); "
                                                  "characters need at least 20 steps/s")
    width: int = Field(256, ge=16, description="Width of the CTC head's Transformer")
    num_layers: int = Field(2, ge=0, le=24, description="Transformer blocks of the CTC head")
    num_heads: int = Field(4, ge=1, description="Attention heads (width must divide)")
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout in the head (training)")
    alphabet: str = Field(DEFAULT_ALPHABET, min_length=2,
                          description="Characters the head spells; others are dropped from "
                                      "targets")
    texts: list[str] = Field(
        default_factory=list,
        description="Text manifests of the written language (never held-out texts): the "
                    "lexicon that unknown transcript words snap to (the nearest known word "
                    "within an edit distance of a third of its length) and the character LM "
                    "of the beam search; empty: the spelling as decoded")
    lexicon: bool = Field(True, description="Snap unknown words to the lexicon of `texts`")
    decoder: Literal["greedy", "beam"] = Field(
        "greedy", description="greedy: best path; beam: CTC prefix beam search with the "
                              "character LM of `texts` (shallow fusion)")
    beam_width: int = Field(8, ge=1, description="Beam search: prefixes kept per step")
    lm_order: int = Field(6, ge=1, le=12, description="Beam search: character n-gram order")
    lm_weight: float = Field(0.5, ge=0.0, description="Beam search: weight of the LM's log-prob")
    char_bonus: float = Field(1.0, description="Beam search: score added per character")
    rescore_lm: dict | None = Field(
        None, description="A frozen LM ({name, config} of a teacher_lm component, e.g. "
                          "{name: salad.gguf_lm.v1}) that rescores the beam: each distinct "
                          "transcript of the final beam (after the lexicon) scores its beam "
                          "score plus rescore_weight x (its log-probability under this LM + "
                          "rescore_word_bonus per word), and the best is read. None: the beam's "
                          "best. Needs decoder: beam")
    rescore_weight: float = Field(0.3, ge=0.0, description="Weight of the rescoring LM")
    rescore_word_bonus: float = Field(0.0, description="Rescoring: nats added per word before "
                                                       "weighting (offsets the LM's preference "
                                                       "for fewer words)")
    residual: bool = Field(False, description="Add a learned vector from each token's frames to "
                                              "its embedding (zero before training). Off by "
                                              "default: on the miniature's Stage I data it "
                                              "learned a content-free prompt (docs/reading.md)")
    markers: bool = Field(True, description="Boundary markers (learned vectors) around each "
                                            "spoken span; false: the LM reads the span's "
                                            "token embeddings as it reads text")
    train_head: bool = Field(False, description="Let Stage I update the CTC head too (only "
                                                "through the residual; the spelling is argmax)")
    frozen_head_eval: bool = Field(
        True, description="Run a frozen head (no parameter of it trains) without dropout in "
                          "training too: its spelling is the decoding of fixed weights, and "
                          "dropout there only adds transcript noise. A head that runs without "
                          "dropout spells an utterance the same way every time, so its words "
                          "can be reused (`cache_size`)")
    cache_size: int = Field(
        16384, ge=0, description="Decoded words kept in memory (least recently used dropped) "
                                 "per utterance, keyed by the content of its frames, for heads "
                                 "that run without dropout (eval mode, or `frozen_head_eval`); "
                                 "a change of the head's weights empties it. 0: decode every "
                                 "forward")

    @model_validator(mode="after")
    def _checks(self):
        if self.width % self.num_heads:
            raise ValueError(f"width={self.width} must split into num_heads={self.num_heads}")
        if len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("alphabet has repeated characters")
        if " " not in self.alphabet:
            raise ValueError("alphabet must contain the space (it separates words)")
        if self.rescore_lm is not None and self.decoder != "beam":
            raise ValueError("rescore_lm rescores the beam's transcripts: set decoder: beam")
        if self.rescore_lm is not None and "name" not in self.rescore_lm:
            raise ValueError("rescore_lm needs a component `name` (and optionally `config`)")
        if self.decoder == "beam" and not self.texts:
            raise ValueError("decoder 'beam' needs `texts` (text manifests) for its "
                             "character LM")
        return self


@hookimpl
def salad_adapters():
    return [ComponentRecord(
        name="salad.ctc_adapter.v1",
        version="1.0.0",
        config=CTCAdapterConfig,
        factory="salad_plugins.ctc_adapter.adapter:CTCAdapter",
        summary="CTC head spells the frames; one LM embedding per token of its transcript.",
        ports=lambda c: {"input_dim": c.input_dim, "output_dim": c.output_dim,
                         "downsample": None},
    )]
