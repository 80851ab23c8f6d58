"""``CausalLM``: a transformers causal LM split into embed / hidden_states / logits.

Callers compute vocabulary logits only at the positions they need: run ``hidden_states`` over
the whole sequence, gather the ``N`` positions of interest, then call ``logits`` on ``(N, H)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .ports import tokenizer_fingerprint

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
_CHAT_MARKERS = ("<|im_start|>", "<start_of_turn>")


def vocabulary_tokens(tokenizer) -> list[str | None]:
    """Token strings of a transformers tokenizer in id order (the fingerprint's input)."""
    return tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))


def default_bos_id(tokenizer) -> int | None:
    """Id to prepend when scoring plain text.

    The tokenizer's BOS, unless it is a chat-turn marker (SmolLM2-Instruct declares
    ``<|im_start|>``): then ``<|endoftext|>`` (id 0 for SmolLM2), which is what the model saw
    between documents in pretraining.
    """
    bos = tokenizer.bos_token
    if bos is not None and bos not in _CHAT_MARKERS:
        return tokenizer.bos_token_id
    for candidate in ("<|endoftext|>", tokenizer.eos_token):
        if candidate is None:
            continue
        idx = tokenizer.convert_tokens_to_ids(candidate)
        if idx is not None and idx != tokenizer.unk_token_id:
            return int(idx)
    return None


class CausalLM:
    """Implements :class:`salad.core.protocols.LanguageModel` over a transformers causal LM.

    ``module`` is the torch module to optimise and checkpoint (a peft model in LoRA mode).
    ``training`` is "full", "lora" or "frozen"; :meth:`freeze` switches to "frozen".
    Padding: any (left or right); positions are counted over the attention mask.
    """

    def __init__(self, model, tokenizer, *, training: str = "full", lora=None,
                 bos_id: int | None = None, dtype: str = "float32", device: str = "cpu",
                 source: str = ""):
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
        model = model.to(device=device)
        for p in model.parameters():  # parameters only: rotary tables stay float32
            if p.is_floating_point():
                p.data = p.data.to(_DTYPES[dtype])
        text_config = model.config.get_text_config()
        self.source = source
        self.dtype = _DTYPES[dtype]
        self.tokenizer = tokenizer
        self.hidden_size = int(text_config.hidden_size)
        self._head = model.get_output_embeddings()
        self.vocab_size = int(self._head.weight.shape[0])
        self.tokenizer_id = tokenizer_fingerprint(vocabulary_tokens(tokenizer))
        self.bos_id = bos_id if bos_id is not None else default_bos_id(tokenizer)
        self._softcap = getattr(text_config, "final_logit_softcapping", None)
        self._causal = model
        self._backbone = getattr(model, model.base_model_prefix)
        self._embedding = model.get_input_embeddings()
        self.module: torch.nn.Module = model
        self.training = "full"
        model.train()  # trainable modes start in train mode; freeze() switches to eval
        if training == "lora":
            self._add_lora(lora)
        elif training == "frozen":
            self.freeze()
        elif training != "full":
            raise ValueError(f"training must be full, lora or frozen, got {training!r}")

    # -- training modes -------------------------------------------------------------------
    def _add_lora(self, lora) -> None:
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError as exc:
            raise ImportError(
                "training=lora needs peft: pip install 'salad-speech[lm]' (or pip install peft)"
            ) from exc
        cfg = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                         target_modules=list(lora.target_modules), bias="none",
                         task_type="CAUSAL_LM")
        # LoRA layers are injected into self._causal in place; only they stay trainable.
        self.module = get_peft_model(self._causal, cfg)
        self.module.train()
        self.training = "lora"

    def freeze(self) -> CausalLM:
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.module.eval()
        self.training = "frozen"
        return self

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.module.parameters() if p.requires_grad]

    def parameters(self) -> Iterator[torch.nn.Parameter]:
        return self.module.parameters()

    def train(self, mode: bool = True) -> CausalLM:
        self.module.train(mode and self.training != "frozen")
        return self

    def eval(self) -> CausalLM:
        return self.train(False)

    def to(self, device) -> CausalLM:
        self.module.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return self._head.weight.device

    def memory_bytes(self) -> int:
        """Bytes held by parameters and buffers (tied weights counted once)."""
        seen, total = set(), 0
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.data_ptr() not in seen:
                seen.add(t.data_ptr())
                total += t.numel() * t.element_size()
        return total

    # -- LanguageModel ----------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str], add_bos: bool = False) -> list[list[int]]:
        """Token ids of each text without special tokens (``add_bos`` prepends ``bos_id``)."""
        if isinstance(texts, str):
            raise TypeError("tokenize takes a sequence of strings, not one string; "
                            "wrap it in a list")
        if not texts:
            return []
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        if add_bos:
            if self.bos_id is None:
                raise ValueError(f"{self.source}: no BOS id known; set bos_id in the config")
            ids = [[self.bos_id, *row] for row in ids]
        return [list(row) for row in ids]

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        if token_ids.dim() != 2:
            raise ValueError(f"embed expects (B, T) token ids, got shape {tuple(token_ids.shape)}")
        return self._embedding(token_ids.to(self.device))

    def hidden_states(self, inputs_embeds: torch.Tensor,
                      attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if inputs_embeds.dim() != 3 or inputs_embeds.shape[-1] != self.hidden_size:
            raise ValueError(f"hidden_states expects (B, T, {self.hidden_size}) embeddings, "
                             f"got shape {tuple(inputs_embeds.shape)}")
        batch, length = inputs_embeds.shape[:2]
        if attention_mask is None:
            attention_mask = torch.ones(batch, length, dtype=torch.long, device=self.device)
        elif tuple(attention_mask.shape) != (batch, length):
            raise ValueError(f"attention_mask shape {tuple(attention_mask.shape)} does not match "
                             f"embeddings {(batch, length)}")
        attention_mask = attention_mask.to(device=self.device, dtype=torch.long)
        position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        out = self._backbone(inputs_embeds=inputs_embeds.to(self.dtype),
                             attention_mask=attention_mask, position_ids=position_ids,
                             use_cache=False)
        return out.last_hidden_state

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self._head(hidden.to(self.dtype))
        if self._softcap:
            out = torch.tanh(out / self._softcap) * self._softcap
        return out

    def __repr__(self) -> str:
        return (f"CausalLM({self.source!r}, hidden={self.hidden_size}, vocab={self.vocab_size}, "
                f"training={self.training}, dtype={self.dtype})")
