"""CTC-compressing adapter: the speech span the LM reads is the head's greedy transcript as LM
token embeddings, one vector per token, so it costs as many positions as the text would and
sits where the LM expects its inputs (LegoSLM-style reading, spelled by characters).

The spelling is the best path or a beam search with a character LM (:mod:`.decode`);
words the optional lexicon does not know are snapped to their nearest known word
(:mod:`.lexicon`). The head trains LM-free with CTC on cached frames (the ``align`` stage, through
:meth:`CTCAdapter.ctc_loss`). With ``residual`` Stage I can refine what the argmax loses: a
zero-initialised projection of the mean head state over each token's steps, added to the
token's embedding (off by default, see docs/reading.md). The adapter is bound to the student
LM (:meth:`bind_lm`), whose tokenizer and input embeddings it uses; it holds no copy of them.

A head that runs without dropout (eval mode, or a frozen head with ``frozen_head_eval``) spells
an utterance the same way every time, so its decoded words are memoized per utterance
(:mod:`.memo`: keyed by the content of the frames, emptied when the head's weights change);
with every item of a batch known and no residual, the head does not run at all.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from .decode import beam_spellings
from .head import Alphabet, CTCHead, Spelling, greedy_spellings, spec_augment
from .hooks import CTCAdapterConfig
from .memo import WeightsWatch, WordMemo, frames_digests, watch_optimizer_steps
from .rescore import LMRescorer

Words = tuple[tuple[str, int, int], ...]


def word_spans(spelling: Spelling) -> list[tuple[str, int, int]]:
    """``(word, first step, last step + 1)`` of each space-separated word of a spelling."""
    out, word, first, last = [], [], 0, 0
    for ch, step in zip(spelling.text, spelling.steps):
        if ch == " ":
            if word:
                out.append(("".join(word), first, last + 1))
            word = []
            continue
        if not word:
            first = step
        word.append(ch)
        last = step
    if word:
        out.append(("".join(word), first, last + 1))
    return out


class CTCAdapter(nn.Module):
    downsample = None  # output length follows the transcript, not the frame count

    def __init__(self, config: CTCAdapterConfig):
        super().__init__()
        self.config = config
        self.input_dim = config.input_dim
        self.output_dim = config.output_dim
        self.boundary_markers = config.markers  # read by SpeechLM
        self.alphabet = Alphabet(config.alphabet)
        self.head = CTCHead(config.input_dim, len(self.alphabet), config.stack, config.width,
                            config.num_layers, config.num_heads, config.dropout)
        self.residual = nn.Linear(config.width, config.output_dim) if config.residual else None
        if self.residual is not None:
            nn.init.zeros_(self.residual.weight)
            nn.init.zeros_(self.residual.bias)
        self._lm = None
        self._lexicon = None
        self._char_lm = None
        self._lm_rescorer = None
        self._memo = WordMemo(config.cache_size)
        self._weights = WeightsWatch()
        self.head.requires_grad_(config.train_head)

    def __getstate__(self):
        """Copies and pickles start with an empty memo (it refers to this head's weights)."""
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        state["_memo"] = WordMemo(self.config.cache_size)
        state["_weights"] = WeightsWatch()
        state["_lm_rescorer"] = None  # rebuilt on first use rather than copied
        return state

    # -- binding ------------------------------------------------------------------------------
    def bind_lm(self, lm) -> None:
        """Use ``lm``'s tokenizer and input embeddings (the student's, trained with it)."""
        if int(lm.hidden_size) != self.output_dim:
            raise ValueError(f"adapter output_dim {self.output_dim} != LM hidden size "
                             f"{lm.hidden_size}")
        self._lm = lm

    # -- LM-free alignment ----------------------------------------------------------------------
    def ctc_loss(self, frames: torch.Tensor, lengths: torch.Tensor, texts: list[str],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean CTC loss per target character (SpecAugment when ``generator`` is given)."""
        if generator is not None:
            frames = spec_augment(frames, lengths, generator)
        logits, steps, _ = self.head(frames, lengths)
        targets = [torch.tensor(self.alphabet.encode(t), dtype=torch.long) for t in texts]
        target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
        logp = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)
        loss = F.ctc_loss(logp, torch.cat(targets), steps, target_lengths, blank=0,
                          reduction="sum", zero_infinity=True)
        return loss / target_lengths.sum().clamp_min(1)

    def head_parameters(self) -> list[nn.Parameter]:
        return list(self.head.parameters())

    def _language(self):
        """The lexicon and character LM of ``config.texts`` (:mod:`.language`: built once per
        content and cached)."""
        if self._lexicon is None:
            from .language import load_language

            c = self.config
            language = load_language(c.texts, self.alphabet,
                                     c.lm_order if c.decoder == "beam" else None)
            self._lexicon, self._char_lm = language.lexicon, language.char_lm
        return self._lexicon, self._char_lm

    def _rescorer(self) -> LMRescorer:
        """The frozen rescoring LM of ``config.rescore_lm`` (built on first use)."""
        if self._lm_rescorer is None:
            from salad.core.plugin_host import get_host

            ref = self.config.rescore_lm
            lm = get_host().registry("teacher_lm").build(ref["name"], ref.get("config") or {})
            self._lm_rescorer = LMRescorer(lm, self.config.rescore_weight,
                                           self.config.rescore_word_bonus)
        return self._lm_rescorer

    def spell(self, logits: torch.Tensor, steps: torch.Tensor
              ) -> list[list[tuple[Spelling, float]]]:
        """The decoder's spellings of each item with their scores, best first: the best path
        alone (score 0) for ``greedy``, the beam's final prefixes for ``beam``."""
        if self.config.decoder == "greedy":
            return [[(s, 0.0)] for s in greedy_spellings(logits.detach(), steps, self.alphabet)]
        _, lm = self._language()
        c = self.config
        logp = F.log_softmax(logits.detach().float(), dim=-1)
        return [beam_spellings(logp[i, :n], self.alphabet, lm, c.beam_width, c.lm_weight,
                               c.char_bonus) for i, n in enumerate(steps.tolist())]

    def _fix(self, spelling: Spelling) -> Words:
        """The words of a spelling (lexicon-corrected when the adapter has one) and their steps."""
        spans = word_spans(spelling)
        if not (self.config.texts and self.config.lexicon):
            return tuple(spans)
        fix = self._language()[0].correct
        return tuple((fix(w), first, end) for w, first, end in spans)

    def _words(self, logits: torch.Tensor, steps: torch.Tensor) -> list[Words]:
        """Per item, the words the LM reads and their steps: the best spelling's, or with
        ``rescore_lm`` the best of the beam's distinct transcripts under that LM."""
        spellings = self.spell(logits, steps)
        if self.config.rescore_lm is None:
            return [self._fix(items[0][0]) for items in spellings]
        candidates = []
        for items in spellings:
            seen: dict[tuple[str, ...], tuple[Words, float]] = {}
            for spelling, score in items:  # best first: a repeated transcript keeps its best
                words = self._fix(spelling)
                seen.setdefault(tuple(w for w, _, _ in words), (words, score))
            candidates.append(list(seen.values()))
        return self._rescorer().best(candidates)

    # -- the head's runs and the memo of decoded words -----------------------------------------
    def head_without_dropout(self) -> bool:
        """Whether :meth:`forward` runs the head without dropout: in eval mode, or when the
        head is frozen (no parameter of it trains) and ``frozen_head_eval`` is set."""
        if not self.head.training:
            return True
        return self.config.frozen_head_eval and not any(
            p.requires_grad for p in self.head.parameters())

    @contextmanager
    def _head_mode(self, without_dropout: bool):
        if without_dropout and self.head.training:
            modes = [(m, m.training) for m in self.head.modules()]
            self.head.eval()
            try:
                yield
            finally:
                for m, mode in modes:
                    m.training = mode
        else:
            yield

    def clear_spelling_cache(self) -> None:
        """Forget every memoized transcript (for code that edits the head's weights through
        ``param.data``, which the memo cannot see)."""
        self._memo.clear()
        self._weights.reset()

    def _decode_settings(self) -> tuple:
        c = self.config
        rescore = (None if c.rescore_lm is None else
                   (repr(sorted(c.rescore_lm.items())), c.rescore_weight, c.rescore_word_bonus))
        return (c.alphabet, c.decoder, c.lexicon, tuple(c.texts), c.beam_width, c.lm_order,
                c.lm_weight, c.char_bonus, rescore)

    def _decoded(self, frames: torch.Tensor, lengths: torch.Tensor, need_hidden: bool
                 ) -> tuple[list[Words], torch.Tensor | None]:
        """Per item, its decoded words, and the head's hidden states of the whole batch when
        ``need_hidden`` (else possibly ``None``). Words come from the memo when the head runs
        without dropout; the head then runs on the items the memo lacks only (or on all of
        them, when the hidden states are needed)."""
        without_dropout = self.head_without_dropout()
        with self._head_mode(without_dropout):
            if not (without_dropout and self.config.cache_size > 0):
                logits, steps, hidden = self.head(frames, lengths)
                return self._words(logits, steps), hidden
            if self._weights.changed(self.head):
                self._memo.clear()
            settings = self._decode_settings()
            keys = [(settings, d) for d in frames_digests(frames, lengths)]
            words = [self._memo.get(k) for k in keys]
            first: dict = {}  # each unknown utterance is decoded once, even if repeated
            for i, w in enumerate(words):
                if w is None:
                    first.setdefault(keys[i], i)
            todo = list(first.values())
            hidden = None
            if need_hidden:
                logits, steps, hidden = self.head(frames, lengths)
                if todo:
                    index = torch.tensor(todo, device=logits.device)
                    decoded = self._words(logits[index], steps[index])
            elif todo:
                index = torch.tensor(todo)
                sub_lengths = lengths[index.to(lengths.device)]
                width = max(1, int(sub_lengths.max()))
                logits, steps, _ = self.head(frames[index.to(frames.device), :width], sub_lengths)
                decoded = self._words(logits, steps)
            if todo:
                watch_optimizer_steps(self)
                found = {keys[i]: w for i, w in zip(todo, decoded)}
                for key, w in found.items():
                    self._memo.put(key, w)
                words = [w if w is not None else found[k] for w, k in zip(words, keys)]
            return words, hidden

    @torch.no_grad()
    def transcribe(self, frames: torch.Tensor, lengths: torch.Tensor) -> list[str]:
        """What the LM reads, as text: the (corrected) words of the decoder's spelling."""
        words, _ = self._decoded(frames, lengths, need_hidden=False)
        return [" ".join(w for w, _, _ in item) for item in words]

    # -- the LM's inputs --------------------------------------------------------------------------
    def forward(self, frames: torch.Tensor, lengths: torch.Tensor):
        if self._lm is None:
            raise RuntimeError("CTCAdapter is not bound to an LM: call bind_lm(student) first "
                               "(SpeechLM does this)")
        words, hidden = self._decoded(frames, lengths, need_hidden=self.residual is not None)
        flat = [(w if j == 0 else " " + w) for item in words for j, (w, _, _) in enumerate(item)]
        pieces = iter(self._lm.tokenize(flat) if flat else [])
        tokens, spans = [], []
        for item in words:
            ids, rows = [], []
            for _, first, end in item:
                piece = next(pieces)
                ids += piece
                rows += [(first, end)] * len(piece)
            tokens.append(ids)
            spans.append(rows)
        out_lengths = torch.tensor([len(t) for t in tokens], dtype=torch.long)
        width = max(1, int(out_lengths.max()) if len(tokens) else 1)
        ids = torch.zeros(len(tokens), width, dtype=torch.long)
        for i, t in enumerate(tokens):
            ids[i, : len(t)] = torch.tensor(t, dtype=torch.long)
        out = self._lm.embed(ids.to(self._lm.device)).float()
        if self.residual is not None:
            pool = torch.zeros(len(tokens), width, hidden.shape[1], device=hidden.device)
            for i, rows in enumerate(spans):
                for j, (first, end) in enumerate(rows):
                    pool[i, j, first:end] = 1.0 / (end - first)
            out = out + self.residual(torch.bmm(pool, hidden))
        valid = torch.arange(width, device=out.device)[None, :] < out_lengths[:, None]
        return out * valid[..., None].to(out.dtype), out_lengths
