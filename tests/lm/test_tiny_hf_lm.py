"""salad.hf_lm.v1 on a tiny random Llama written to a temp dir (no hub, fast)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers", reason="LM extras missing: pip install 'salad-speech[lm]'")
pytest.importorskip("peft", reason="LM extras missing: pip install 'salad-speech[lm]'")


@pytest.fixture(scope="module")
def student(tiny_lm_dir, registries):
    return registries[1].build("salad.hf_lm.v1", {"model": str(tiny_lm_dir)})


def _ids(lm, texts):
    rows = lm.tokenize(texts, add_bos=True)
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), lm.tokenizer.pad_token_id)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    return ids, mask


TEXTS = ["The capital of France is Paris.", "A cat sat on the mat."]


def test_ports_match_built_model(student, tiny_lm_dir, registries):
    rec = registries[1].get("salad.hf_lm.v1")
    declared = rec.declared_ports(rec.make_config({"model": str(tiny_lm_dir)}))
    assert declared == {"hidden_size": student.hidden_size, "vocab_size": student.vocab_size,
                        "tokenizer": student.tokenizer_id}


def test_split_forward_equals_hf_logits(student):
    ids, mask = _ids(student, TEXTS)
    with torch.no_grad():
        ours = student.logits(student.hidden_states(student.embed(ids), mask))
        ref = student.module(input_ids=ids, attention_mask=mask).logits
    valid = mask.bool()
    torch.testing.assert_close(ours[valid], ref[valid], rtol=1e-5, atol=1e-5)


def test_logits_at_selected_positions(student):
    ids, mask = _ids(student, TEXTS)
    with torch.no_grad():
        hidden = student.hidden_states(student.embed(ids), mask)
        picked = student.logits(hidden[mask.bool()])
        full = student.logits(hidden)
    assert picked.shape == (int(mask.sum()), student.vocab_size)
    torch.testing.assert_close(picked, full[mask.bool()])


def test_left_padding_gives_same_states(student):
    row = student.tokenize(TEXTS[:1], add_bos=True)[0]
    ids = torch.tensor([row])
    padded = torch.tensor([[0, 0, 0] + row])
    mask = torch.tensor([[0, 0, 0] + [1] * len(row)])
    with torch.no_grad():
        plain = student.hidden_states(student.embed(ids), torch.ones_like(ids))
        left = student.hidden_states(student.embed(padded), mask)
    torch.testing.assert_close(left[:, 3:], plain, rtol=1e-4, atol=1e-5)


def test_tokenize_and_bos(student):
    assert student.bos_id == student.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    plain, with_bos = student.tokenize(["hello there"]), student.tokenize(["hello"], add_bos=True)
    assert with_bos[0][0] == student.bos_id and student.bos_id not in plain[0]
    assert student.tokenize([]) == []
    with pytest.raises(TypeError, match="sequence of strings"):
        student.tokenize("hello")


def test_shape_errors(student):
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        student.embed(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="expects"):
        student.hidden_states(torch.zeros(1, 2, student.hidden_size + 1))


def test_full_mode_trains_everything(student):
    assert student.training == "full"
    params = list(student.parameters())
    assert params and all(p.requires_grad for p in params)


def test_lora_mode_trains_only_adapters(tiny_lm_dir, registries, student):
    lm = registries[1].build("salad.hf_lm.v1", {
        "model": str(tiny_lm_dir), "training": "lora",
        "lora": {"r": 4, "target_modules": ["q_proj", "v_proj"]}})
    names = [n for n, p in lm.module.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)
    assert all(("q_proj" in n) or ("v_proj" in n) for n in names)
    ids, mask = _ids(lm, TEXTS)
    # Fresh LoRA (B = 0) leaves outputs unchanged; gradients reach only adapter weights.
    with torch.no_grad():
        torch.testing.assert_close(
            lm.logits(lm.hidden_states(lm.embed(ids), mask)),
            student.logits(student.hidden_states(student.embed(ids), mask)))
    loss = lm.logits(lm.hidden_states(lm.embed(ids), mask)[:, -1]).logsumexp(-1).sum()
    loss.backward()
    grads = [n for n, p in lm.module.named_parameters() if p.grad is not None]
    assert grads and set(grads) <= set(names)


def test_frozen_mode_passes_gradient_to_inputs(tiny_lm_dir, registries):
    lm = registries[0].build("salad.hf_lm.v1", {"model": str(tiny_lm_dir)})
    assert lm.training == "frozen" and lm.trainable_parameters() == []
    assert not lm.module.training
    ids, mask = _ids(lm, TEXTS)
    embeds = lm.embed(ids).detach().requires_grad_(True)  # e.g. adapter outputs
    lm.logits(lm.hidden_states(embeds, mask)[:, -1]).sum().backward()
    assert embeds.grad is not None and embeds.grad.abs().sum() > 0


def test_freeze_method(tiny_lm_dir, registries):
    lm = registries[1].build("salad.hf_lm.v1", {"model": str(tiny_lm_dir)})
    lm.freeze()
    assert lm.trainable_parameters() == [] and lm.training == "frozen"
    lm.train()
    assert not lm.module.training  # a frozen LM stays in eval mode


def test_bfloat16_close_to_float32(tiny_lm_dir, registries, student):
    lm = registries[1].build("salad.hf_lm.v1", {"model": str(tiny_lm_dir), "dtype": "bfloat16"})
    assert {p.dtype for p in lm.parameters()} == {torch.bfloat16}
    ids, mask = _ids(lm, TEXTS)
    with torch.no_grad():
        low = lm.logits(lm.hidden_states(lm.embed(ids), mask)).float()
        ref = student.logits(student.hidden_states(student.embed(ids), mask))
    assert (low - ref)[mask.bool()].abs().max() < 0.1
    assert lm.memory_bytes() * 2 == pytest.approx(student.memory_bytes(), rel=0.01)


def test_missing_local_model_is_clear(registries, tmp_path):
    from salad.core.errors import SaladError

    with pytest.raises(SaladError, match="no config.json"):
        registries[1].build("salad.hf_lm.v1", {"model": str(tmp_path)})
    with pytest.raises(SaladError, match="cannot load"):
        registries[1].build("salad.hf_lm.v1", {"model": "no-such-org/no-such-model-xyz"})
