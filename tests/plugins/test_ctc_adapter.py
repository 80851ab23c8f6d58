"""The CTC-compressing adapter: spelling, compression to LM tokens, LM-free CTC learning."""
from __future__ import annotations

import math

import pytest

from salad.testing import AdapterContract

torch = pytest.importorskip("torch")

from salad_plugins.ctc_adapter.adapter import CTCAdapter, word_spans  # noqa: E402
from salad_plugins.ctc_adapter.head import Alphabet, Spelling, greedy_spellings  # noqa: E402
from salad_plugins.ctc_adapter.hooks import CTCAdapterConfig  # noqa: E402

TINY = {"input_dim": 12, "output_dim": 64, "width": 32, "num_layers": 1, "num_heads": 2,
        "dropout": 0.0}


class TestCTCAdapterContract(AdapterContract):
    component_name = "salad.ctc_adapter.v1"
    config = {**TINY, "output_dim": 24, "residual": True}  # something that trains


def test_alphabet_normalises_quotes_and_drops_unknown_characters():
    abc = Alphabet("ab '")
    assert abc.encode("a\u2019b  \u00e9a") == [1, 4, 2, 3, 1]  # ’ -> ', spaces collapsed
    assert len(abc) == 5  # and the blank


def test_lowercase_alphabet_folds_case_and_turns_punctuation_into_spaces():
    abc = Alphabet(" abcdefghijklmnopqrstuvwxyz'")
    assert abc.normalize("Well-known, isn\u2019t it? 1984 Caf\u00e9!") == "well known isn't it caf"
    assert Alphabet(" aA").normalize("Aa a") == "Aa a"  # a cased alphabet keeps case


def test_lexicon_snaps_unknown_words_to_the_nearest_frequent_word(tmp_path):
    from salad_plugins.ctc_adapter.lexicon import Lexicon

    abc = Alphabet(" abcdefghijklmnopqrstuvwxyz'")
    manifest = tmp_path / "texts.jsonl"
    manifest.write_text("".join(f'{{"id": "t{i}", "text": "{t}"}}\n' for i, t in enumerate(
        ["I still understand.", "Still, the salamander.", "A stiff drink."])))
    lex = Lexicon.from_texts(abc.normalize(t) for t in
                             ["I still understand.", "Still, the salamander.", "A stiff drink."])
    assert lex.correct("still") == "still"
    assert lex.correct("stil") == "still"        # distance 1 (stiff: 2)
    assert lex.correct("selamander") == "salamander"
    assert lex.correct("xqz") == "xqz"           # no word within a third of its length
    adapter = CTCAdapter(CTCAdapterConfig(**{**TINY, "texts": [str(manifest)]}))
    path = [k for c in "i stil" for k in (adapter.alphabet.index[c], 0)]
    logits = torch.nn.functional.one_hot(torch.tensor([path]), len(adapter.alphabet)).float()
    adapter.head.forward = lambda f, n: (logits, torch.tensor([len(path)]), None)
    assert adapter.transcribe(torch.zeros(1, 2 * len(path), 12), torch.tensor([24])) == ["i still"]


def _stilk_or_still(abc: Alphabet) -> torch.Tensor:
    """Log-probabilities whose acoustics lean to "stil" + "k": the last letter is 60/40
    between the two spellings (blank steps between letters)."""
    probs = []
    for leaning, other in [("s", None), ("t", None), ("i", None), ("l", None), ("k", "l")]:
        row = torch.full((len(abc),), 1e-4)
        row[abc.index[leaning]] = 0.6 if other else 0.99
        if other:
            row[abc.index[other]] = 0.4
        probs += [row, torch.full((len(abc),), 1e-4).index_fill(0, torch.tensor([0]), 0.99)]
    probs = torch.stack(probs)
    return (probs / probs.sum(-1, keepdim=True)).log()


def test_beam_search_with_a_character_lm_prefers_spellings_text_uses():
    from salad_plugins.ctc_adapter.decode import CharNgram, beam_spellings, count_grams

    abc = Alphabet(" abcdefghijklmnopqrstuvwxyz'")
    logp = _stilk_or_still(abc)
    nbest = beam_spellings(logp, abc, None, 8, 0.0, 0.0)
    assert [s.text for s, _ in nbest[:2]] == ["stilk", "still"]           # acoustics alone
    assert nbest[0][1] - nbest[1][1] == pytest.approx(math.log(0.6 / 0.4), abs=1e-3)
    lm = CharNgram(count_grams(["i still do", "still here", "be still"], 6), 6, abc.chars)
    assert beam_spellings(logp, abc, lm, 8, 1.0, 0.0)[0][0].text == "still"  # with the LM
    ngram_total = sum(math.exp(lm.logprob(" sti", c)) for c in abc.chars)
    assert ngram_total == pytest.approx(1.0)                              # a distribution


def test_greedy_spelling_merges_repeats_and_drops_blanks():
    abc = Alphabet("ab ")
    path = [1, 1, 0, 1, 2, 0, 3, 2, 2]  # a a _ a b _ ' ' b b
    logits = torch.nn.functional.one_hot(torch.tensor([path]), len(abc)).float()
    (spelled,) = greedy_spellings(logits, torch.tensor([len(path)]), abc)
    assert spelled.text == "aab b" and spelled.steps == [0, 3, 4, 6, 7]
    (cut,) = greedy_spellings(logits, torch.tensor([4]), abc)
    assert cut.text == "aa"


def test_word_spans_cover_each_word_from_first_to_last_character():
    assert word_spans(Spelling(" ab  c", [0, 2, 5, 6, 7, 9])) == [("ab", 2, 6), ("c", 9, 10)]


def test_without_residual_nothing_trains_past_the_aligned_head():
    adapter = CTCAdapter(CTCAdapterConfig(**TINY))
    assert adapter.residual is None
    assert not [p for p in adapter.parameters() if p.requires_grad]


def test_markers_false_lets_the_speech_lm_read_the_span_without_boundary_markers(tiny_lm):
    from salad.speech.model import SpeechLM

    lm = tiny_lm("student_lm")
    config = {**TINY, "output_dim": lm.hidden_size}
    assert SpeechLM(CTCAdapter(CTCAdapterConfig(**config)), lm).boundary_markers
    plain = SpeechLM(CTCAdapter(CTCAdapterConfig(**config, markers=False)), lm)
    assert not plain.boundary_markers


def test_forward_needs_an_lm_of_its_output_size():
    adapter = CTCAdapter(CTCAdapterConfig(**TINY))
    with pytest.raises(RuntimeError, match="bind_lm"):
        adapter(torch.randn(1, 8, 12), torch.tensor([8]))
    with pytest.raises(ValueError, match="hidden size"):
        adapter.bind_lm(type("LM", (), {"hidden_size": 65})())


def test_outputs_are_the_lm_embeddings_of_the_transcript(tiny_lm, monkeypatch):
    lm = tiny_lm("student_lm")
    adapter = CTCAdapter(CTCAdapterConfig(**{**TINY, "output_dim": lm.hidden_size,
                                             "residual": True}))
    adapter.bind_lm(lm)
    abc = adapter.alphabet
    text = "the cat sat"
    path = [k for c in text for k in (abc.index[c], 0)]
    steps = torch.tensor([len(path), 4])
    logits = torch.nn.functional.one_hot(torch.tensor([path, path[:4] + [0] * (len(path) - 4)]),
                                         len(abc)).float()
    hidden = torch.randn(2, len(path), 32)
    monkeypatch.setattr(adapter.head, "forward", lambda f, n: (logits, steps, hidden))
    out, lengths = adapter(torch.zeros(2, 2 * len(path), 12), 2 * steps)
    expected = lm.tokenize(["the", " cat", " sat"])
    ids = [t for piece in expected for t in piece]
    assert lengths.tolist() == [len(ids), len(lm.tokenize(["th"])[0])]
    # the residual starts at zero: the LM reads exactly its own embeddings of the transcript
    assert torch.allclose(out[0, : len(ids)], lm.embed(torch.tensor([ids]))[0].float())
    assert not out[1, lengths[1]:].any()
    out.sum().backward()
    assert adapter.residual.weight.grad.abs().sum() > 0  # Stage I refines through it
    assert all(p.grad is None for p in adapter.head.parameters())  # the head stays frozen


def test_ctc_loss_teaches_the_head_to_spell():
    torch.manual_seed(0)
    adapter = CTCAdapter(CTCAdapterConfig(**{**TINY, "alphabet": "abc ", "train_head": True}))
    codes = torch.randn(4, 12)
    texts = ["ab ca", "cab", "a bc", "bca ab"]

    def frames(text):  # two frames per character, blank-like frames between words
        return torch.cat([codes[adapter.alphabet.index[c] - 1].repeat(3, 1) for c in text])

    feats = [frames(t) for t in texts]
    lengths = torch.tensor([f.shape[0] for f in feats])
    batch = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
    optimizer = torch.optim.Adam(adapter.head_parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss = adapter.ctc_loss(batch, lengths, texts)
        first = first if first is not None else float(loss.detach())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < first / 5
    assert adapter.transcribe(batch, lengths) == texts


def test_beam_decoder_needs_texts_for_its_language_model(tmp_path):
    with pytest.raises(ValueError, match="needs `texts`"):
        CTCAdapterConfig(**{**TINY, "decoder": "beam"})
    manifest = tmp_path / "texts.jsonl"
    manifest.write_text('{"id": "t0", "text": "still here"}\n')
    adapter = CTCAdapter(CTCAdapterConfig(**{**TINY, "texts": [str(manifest)],
                                             "decoder": "beam", "lm_weight": 1.0}))
    path = [k for c in "stil her" for k in (adapter.alphabet.index[c], 0)]
    logits = torch.nn.functional.one_hot(torch.tensor([path]), len(adapter.alphabet)).float()
    adapter.head.forward = lambda f, n: (logits * 5, torch.tensor([len(path)]), None)
    # the beam keeps the acoustics' letters here; the lexicon then fixes both words
    assert adapter.transcribe(torch.zeros(1, 2 * len(path), 12), torch.tensor([32])) == [
        "still here"]


# -- the memo of decoded words --------------------------------------------------------------------
def _memo_pair(lm, **config):
    """Two adapters with the same head: one memoizes its decoded words, one decodes each time."""
    cfg = {**TINY, "output_dim": lm.hidden_size, "dropout": 0.3, **config}
    torch.manual_seed(0)
    memo = CTCAdapter(CTCAdapterConfig(**cfg))
    plain = CTCAdapter(CTCAdapterConfig(**{**cfg, "cache_size": 0}))
    plain.load_state_dict(memo.state_dict())
    for a in (memo, plain):
        a.bind_lm(lm)
    return memo, plain


def _batch(seed: int, lengths: list[int]):
    g = torch.Generator().manual_seed(seed)
    frames = torch.randn(len(lengths), max(lengths), 12, generator=g) * 3
    for i, n in enumerate(lengths):
        frames[i, n:] = 0
    return frames, torch.tensor(lengths)


def _head_runs(adapter) -> list[int]:
    runs = []
    adapter.head.register_forward_hook(lambda m, args, out: runs.append(int(args[0].shape[0])))
    return runs


@pytest.mark.parametrize("residual", [False, True])
def test_memoized_words_give_the_same_outputs_as_decoding_every_time(tiny_lm, residual):
    memo, plain = _memo_pair(tiny_lm("student_lm"), residual=residual)
    runs = _head_runs(memo)
    first = _batch(1, [40, 23, 31])
    new, _ = _batch(2, [31, 17])
    mixed = (torch.cat([first[0][1:2, :31], new]), torch.tensor([23, 31, 17]))  # 1 known item
    for frames, lengths in (first, first, mixed):
        out, n = memo(frames, lengths)
        ref, ref_n = plain(frames, lengths)
        assert torch.equal(n, ref_n) and torch.equal(out, ref)
        assert memo.transcribe(frames, lengths) == plain.transcribe(frames, lengths)
    assert memo._memo.hits > 0 and len(memo._memo) == 5
    # without the residual a batch of known items skips the head; the new ones run alone
    assert runs == ([3, 3, 3] if residual else [3, 2])


def test_the_memo_is_emptied_when_the_heads_weights_change(tiny_lm, tmp_path):
    from salad.training.checkpoint import load_adapter, save_adapter

    memo, plain = _memo_pair(tiny_lm("student_lm"))
    memo.eval()
    plain.eval()
    frames, lengths = _batch(1, [40, 23, 31])

    def agrees() -> bool:
        return memo.transcribe(frames, lengths) == plain.transcribe(frames, lengths)

    assert agrees() and len(memo._memo) == 3
    before = memo.transcribe(frames, lengths)
    torch.manual_seed(5)  # another head, loaded by load_state_dict (in-place copies)
    other = CTCAdapter(CTCAdapterConfig(**memo.config.model_dump())).state_dict()
    for a in (memo, plain):
        a.load_state_dict(other)
    assert agrees() and memo.transcribe(frames, lengths) != before
    # a fused optimizer step (no version bump: the optimizer-step hook empties the memo)
    for fused in (True, False):
        memo.head.requires_grad_(True)
        opt = torch.optim.AdamW(memo.head_parameters(), lr=0.5, fused=fused or None)
        memo.ctc_loss(frames, lengths, ["ab c", "ba", "c ab"]).backward()
        opt.step()
        assert len(memo._memo) == 0
        plain.load_state_dict(memo.state_dict())
        assert agrees()
    # a replaced parameter
    memo.head.classifier.bias = torch.nn.Parameter(torch.randn(len(memo.alphabet)) * 5)
    plain.load_state_dict(memo.state_dict())
    assert agrees()
    # the align stage's output, loaded as Stage I does
    torch.manual_seed(7)
    aligned = CTCAdapter(CTCAdapterConfig(**memo.config.model_dump()))
    save_adapter(tmp_path / "adapter.safetensors", aligned)
    before = memo.transcribe(frames, lengths)
    for a in (memo, plain):
        load_adapter(tmp_path / "adapter.safetensors", a)
    assert agrees() and memo.transcribe(frames, lengths) != before


def test_training_mode_uses_the_memo_only_for_a_head_without_dropout(tiny_lm):
    lm = tiny_lm("student_lm")
    frames, lengths = _batch(1, [40, 23])
    noisy, _ = _memo_pair(lm, frozen_head_eval=False)
    noisy.train()
    modes = []
    noisy.head.register_forward_hook(lambda m, a, o: modes.append(m.training))
    for _ in range(2):
        noisy(frames, lengths)
    assert modes == [True, True] and len(noisy._memo) == 0 and noisy._memo.hits == 0
    frozen, _ = _memo_pair(lm)  # frozen_head_eval (the default): the frozen head runs in eval
    frozen.train()
    modes = []
    frozen.head.register_forward_hook(lambda m, a, o: modes.append(m.training))
    for _ in range(2):
        frozen(frames, lengths)
    assert modes == [False] and frozen._memo.hits == 2 and frozen.head.training
    frozen.head.requires_grad_(True)  # a head that trains keeps its dropout
    assert not frozen.head_without_dropout()
    frozen(frames, lengths)
    assert modes == [False, True]


def test_the_memo_is_bounded_and_not_copied(tiny_lm):
    import copy

    memo, _ = _memo_pair(tiny_lm("student_lm"), cache_size=2)
    memo.eval()
    memo.transcribe(*_batch(1, [40, 23, 31]))
    assert len(memo._memo) == 2
    twin = copy.deepcopy(memo)
    assert len(twin._memo) == 0 and len(memo._memo) == 2


def test_an_utterance_repeated_in_a_batch_is_decoded_once(tiny_lm):
    memo, plain = _memo_pair(tiny_lm("student_lm"))
    runs = _head_runs(memo)
    frames, lengths = _batch(1, [40, 23])
    twice = (torch.cat([frames, frames]), torch.cat([lengths, lengths]))
    assert memo.transcribe(*twice) == plain.transcribe(*twice)
    assert runs == [2] and len(memo._memo) == 2


def test_an_lm_rescoring_the_beam_picks_the_transcript_it_prefers(tmp_path):
    from salad_plugins.ctc_adapter.rescore import LMRescorer

    class TableLM(LMRescorer):  # log-probabilities from a table instead of a forward pass
        def logprobs(self, texts):
            return [{"still": -2.0, "stilk": -9.0}.get(t, -20.0) for t in texts]

    manifest = tmp_path / "texts.jsonl"
    manifest.write_text('{"id": "t0", "text": "be still"}\n')
    config = {**TINY, "texts": [str(manifest)], "decoder": "beam", "lexicon": False,
              "lm_weight": 0.0, "char_bonus": 0.0}
    logits = _stilk_or_still(Alphabet(config.get("alphabet", " abcdefghijklmnopqrstuvwxyz'")))
    spelled = {}
    for weight in (None, 0.02, 1.0):
        rescore = {} if weight is None else {"rescore_lm": {"name": "table"},
                                              "rescore_weight": weight}
        adapter = CTCAdapter(CTCAdapterConfig(**config, **rescore))
        if weight is not None:
            adapter._lm_rescorer = TableLM(None, weight, 0.0)
        adapter.head.forward = lambda f, n: (logits[None], torch.tensor([len(logits)]), None)
        spelled[weight] = adapter.transcribe(torch.zeros(1, 20, 12), torch.tensor([20]))[0]
    # beam: stilk (log .6) over still (log .4); the LM's 7 nats outweigh that at weight 1,
    # not at .02
    assert spelled == {None: "stilk", 0.02: "stilk", 1.0: "still"}


def test_rescoring_lm_scores_texts_as_the_lm_does_whatever_the_batch(tiny_lm, tiny_lm_dir):
    from salad_plugins.ctc_adapter.rescore import LMRescorer

    lm = tiny_lm()
    texts = ["the cat sat on the mat", "a dog", "", "the cat"]
    together = LMRescorer(lm, 1.0, 0.0).logprobs(texts)
    alone = [LMRescorer(lm, 1.0, 0.0).logprobs([t])[0] for t in texts]
    assert together == pytest.approx(alone, abs=1e-4)  # padding changes nothing
    assert together[2] == 0.0                          # nothing to score
    ids = lm.tokenize(["a dog"], add_bos=True)[0]
    with torch.no_grad():
        x = torch.tensor([ids])
        logp = torch.log_softmax(lm.logits(lm.hidden_states(lm.embed(x))).float(), -1)[0]
    assert together[1] == pytest.approx(sum(logp[i, ids[i + 1]].item()
                                            for i in range(len(ids) - 1)), abs=1e-4)
    adapter = CTCAdapter(CTCAdapterConfig(**{**TINY, "texts": [str(tiny_lm_dir)],
                                             "decoder": "beam", "rescore_lm": {
                                                 "name": "salad.hf_lm.v1",
                                                 "config": {"model": str(tiny_lm_dir)}}}))
    built = adapter._rescorer()                         # the recipe's component, built once
    assert built is adapter._rescorer() and built.weight == 0.3
    assert built.logprobs(["a dog"]) == pytest.approx([together[1]], abs=1e-4)


def test_rescoring_settings_are_checked_and_key_the_memo():
    with pytest.raises(ValueError, match="decoder: beam"):
        CTCAdapterConfig(**TINY, rescore_lm={"name": "salad.gguf_lm.v1"})
    with pytest.raises(ValueError, match="name"):
        CTCAdapterConfig(**TINY, texts=["t.jsonl"], decoder="beam", rescore_lm={"config": {}})
    base = {**TINY, "texts": ["t.jsonl"], "decoder": "beam"}
    keys = {CTCAdapter(CTCAdapterConfig(**base, **extra))._decode_settings() for extra in (
        {}, {"rescore_lm": {"name": "a"}}, {"rescore_lm": {"name": "a"}, "rescore_weight": 1.0},
        {"rescore_lm": {"name": "b"}})}
    assert len(keys) == 4


def test_language_is_counted_once_per_content_and_read_back_from_the_cache(tmp_path):
    from salad_plugins.ctc_adapter import language

    abc = Alphabet(" abcdefghijklmnopqrstuvwxyz'")
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"id": "a", "text": "I still do."}\n{"id": "b", "text": "Still here."}\n')
    built = language.load_language([texts], abc, 6, tmp_path / "cache")
    (saved,) = (tmp_path / "cache" / "ctc_language").glob("*.json")
    assert language.load_language([texts], abc, 6, tmp_path / "cache") is built  # memory
    language._LOADED.clear()
    read = language.load_language([texts], abc, 6, tmp_path / "cache")  # from the disk
    assert read is not built and read.lexicon.counts == {"i": 1, "still": 2, "do": 1, "here": 1}
    assert read.char_lm.counts == built.char_lm.counts
    assert read.char_lm.logprob(" sti", "l") == built.char_lm.logprob(" sti", "l")
    assert language.load_language([texts], abc, None, tmp_path / "cache").char_lm is None
    saved.write_text("{not json")  # a damaged entry is counted again and rewritten
    language._LOADED.clear()
    assert language.load_language([texts], abc, 6, tmp_path / "cache").lexicon.counts["still"] == 2
    texts.write_text('{"id": "a", "text": "Other words."}\n')  # new content, new key
    assert language.load_language([texts], abc, 6, tmp_path / "cache").lexicon.counts == {
        "other": 1, "words": 1}
