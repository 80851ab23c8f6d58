"""N-best rescoring of the CTC beam with a frozen causal LM.

The character n-gram LM of the beam search knows spellings and short phrases of its texts; a
causal LM knows which whole word sequence is English. Each distinct transcript of the final
beam (words after the lexicon) scores its beam score plus ``weight`` times its
log-probability under the LM after BOS (plus ``word_bonus`` per word), and the best is read.
The LM is frozen and separate from the student, so a transcript depends only on the frames and
the adapter's settings (the memo of decoded words stays valid while the student trains).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

Words = tuple[tuple[str, int, int], ...]


class LMRescorer:
    def __init__(self, lm, weight: float, word_bonus: float, batch_size: int = 64):
        self.lm = lm
        self.weight = weight
        self.word_bonus = word_bonus
        self.batch_size = batch_size

    @torch.no_grad()
    def logprobs(self, texts: Sequence[str]) -> list[float]:
        """Summed log-probability of each text's tokens after BOS (an empty text: 0)."""
        out = [0.0] * len(texts)
        todo = [i for i, t in enumerate(texts) if t]
        for start in range(0, len(todo), self.batch_size):
            part = todo[start:start + self.batch_size]
            ids = self.lm.tokenize([texts[i] for i in part], add_bos=True)
            width = max(len(row) for row in ids)
            x = torch.zeros(len(ids), width, dtype=torch.long)
            mask = torch.zeros(len(ids), width, dtype=torch.long)
            for j, row in enumerate(ids):
                x[j, :len(row)] = torch.tensor(row, dtype=torch.long)
                mask[j, :len(row)] = 1
            x, mask = x.to(self.lm.device), mask.to(self.lm.device)
            logp = F.log_softmax(self.lm.logits(self.lm.hidden_states(self.lm.embed(x), mask))
                                 .float(), dim=-1)
            token = logp[:, :-1].gather(-1, x[:, 1:, None])[..., 0] * mask[:, 1:]
            for j, value in zip(part, token.sum(1).tolist()):
                out[j] = value
        return out

    def best(self, candidates: Sequence[Sequence[tuple[Words, float]]]) -> list[Words]:
        """Per item, the candidate (words, beam score) with the highest combined score; the
        LM scores every item's candidates in shared batches."""
        flat = [(i, words, score) for i, items in enumerate(candidates)
                for words, score in items]
        lps = self.logprobs([" ".join(w for w, _, _ in words) for _, words, _ in flat])
        best: dict[int, tuple[float, Words]] = {}
        for (i, words, score), lp in zip(flat, lps):
            total = score + self.weight * (lp + self.word_bonus * len(words))
            if i not in best or total > best[i][0]:
                best[i] = (total, words)
        return [best[i][1] if i in best else () for i in range(len(candidates))]
