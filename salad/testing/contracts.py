"""Shared contract suites, one per component kind (see :mod:`salad.testing`)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from ..core.plugin_host import get_host
from ..core.protocols import PROTOCOLS


class ComponentContract:
    """Checks every component must pass, whatever its kind."""

    kind: ClassVar[str] = ""
    component_name: ClassVar[str] = ""
    config: ClassVar[dict[str, Any]] = {}
    # Ports that every component of this kind must declare.
    required_ports: ClassVar[tuple[str, ...]] = ()

    @pytest.fixture(scope="class")
    @classmethod
    def record(cls):
        if not cls.component_name:
            pytest.skip("abstract contract: set component_name")
        return get_host().registry(cls.kind).get(cls.component_name)

    @pytest.fixture(scope="class")
    @classmethod
    def component(cls, record):
        return record.build(cls.config)

    def test_record_is_well_formed(self, record):
        assert record.problems() == []
        assert record.kind == self.kind
        assert record.distribution, "records carry the distribution that registered them"

    def test_config_rejects_unknown_keys(self, record):
        with pytest.raises(ValidationError):
            record.config.model_validate({**self.config, "no_such_option_xyz": 1})

    def test_default_config_is_valid(self, record):
        record.config()

    def test_ports_are_declared(self, record):
        ports = record.declared_ports(record.make_config(self.config))
        missing = [p for p in self.required_ports if ports.get(p) is None]
        assert not missing, f"{record.name} does not declare ports {missing}"

    def test_satisfies_protocol(self, component):
        assert isinstance(component, PROTOCOLS[self.kind])

    def test_hooks_module_is_import_light(self, record):
        """Listing plugins must not import torch: the hooks module stays light."""
        module = record.entry_point.split("=", 1)[-1].strip().split(":")[0]
        if not module or record.distribution == "<local>":
            pytest.skip("local plugin module")
        code = (f"import sys, importlib; importlib.import_module({module!r}); "
                "print('torch' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        assert out.stdout.strip() == "False", f"importing {module} imports torch"

    def _ports(self, record) -> dict[str, Any]:
        return record.declared_ports(record.make_config(self.config))

    def _assert_ports_match(self, record, component, names) -> None:
        ports = self._ports(record)
        for name in names:
            if ports.get(name) is not None:
                assert getattr(component, name) == ports[name], (
                    f"{record.name} declares {name}={ports[name]!r} but built "
                    f"{getattr(component, name)!r}")


class SpeechEncoderContract(ComponentContract):
    kind = "speech_encoder"
    required_ports = ("output_dim", "sample_rate")

    def _waves(self, component):
        import torch

        g = torch.Generator().manual_seed(0)
        sr = component.sample_rate
        t = torch.arange(sr) / sr
        tone = 0.3 * torch.sin(2 * torch.pi * 220 * t) + 0.01 * torch.randn(sr, generator=g)
        waves = torch.stack([tone, tone.clone()])
        waves[1, sr // 2:] = 0
        return waves, torch.tensor([sr, sr // 2])

    def test_encode_shapes(self, record, component):
        waves, lengths = self._waves(component)
        frames, frame_lengths = component.encode(waves, lengths)
        assert frames.ndim == 3 and frames.shape[0] == 2
        assert frames.shape[2] == component.output_dim
        assert frame_lengths.tolist()[0] >= frame_lengths.tolist()[1] > 0
        assert frame_lengths.max().item() <= frames.shape[1]
        rate = frame_lengths[0].item()  # frames for one second of audio
        assert abs(rate - component.frame_rate) <= 0.1 * component.frame_rate + 2
        assert bool(frames.isfinite().all())
        self._assert_ports_match(record, component, ("output_dim", "sample_rate"))

    def test_encode_is_deterministic_and_keyed(self, component):
        waves, lengths = self._waves(component)
        a, _ = component.encode(waves, lengths)
        b, _ = component.encode(waves, lengths)
        assert (a - b).abs().max().item() < 1e-5
        key = component.cache_key()
        assert isinstance(key, str) and key == component.cache_key()


class AdapterContract(ComponentContract):
    kind = "adapter"
    required_ports = ("input_dim", "output_dim", "downsample")

    def test_forward_shapes_and_gradients(self, record, component):
        import torch

        frames = torch.randn(2, 37, component.input_dim)
        lengths = torch.tensor([37, 20])
        out, out_lengths = component(frames, lengths)
        expect_t = -(-37 // component.downsample)
        assert out.shape == (2, expect_t, component.output_dim)
        assert out_lengths.tolist()[0] == expect_t and out_lengths.tolist()[1] < expect_t
        out[0, : out_lengths[0]].square().mean().backward()
        grads = [p.grad for p in component.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
        self._assert_ports_match(record, component, ("input_dim", "output_dim", "downsample"))


class _LanguageModelContract(ComponentContract):
    required_ports = ("hidden_size", "vocab_size")

    def test_split_forward(self, record, component):
        import torch

        ids = component.tokenize(["Hello there, how are you?", "Fine."])
        assert all(isinstance(i, int) for seq in ids for i in seq)
        width = max(map(len, ids))
        batch = torch.zeros(2, width, dtype=torch.long)
        mask = torch.zeros(2, width, dtype=torch.long)
        for row, seq in enumerate(ids):
            batch[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        emb = component.embed(batch)
        assert emb.shape == (2, width, component.hidden_size)
        with torch.no_grad():
            hidden = component.hidden_states(emb, mask)
            logits = component.logits(hidden[0, : len(ids[0])])
        assert hidden.shape == (2, width, component.hidden_size)
        assert logits.shape == (len(ids[0]), component.vocab_size)
        assert bool(logits.isfinite().all())
        self._assert_ports_match(record, component, ("hidden_size", "vocab_size"))
        assert isinstance(component.tokenizer_id, str) and component.tokenizer_id


class TeacherLMContract(_LanguageModelContract):
    kind = "teacher_lm"


class StudentLMContract(_LanguageModelContract):
    kind = "student_lm"


class LossContract(ComponentContract):
    kind = "loss"
    # True when the loss is exactly zero for a student equal to its teacher (pure distillation).
    zero_when_matching: ClassVar[bool] = False

    def _inputs(self):
        import torch

        g = torch.Generator().manual_seed(0)
        student = torch.randn(6, 50, generator=g, requires_grad=True)
        teacher = torch.randn(6, 50, generator=g)
        targets = torch.randint(0, 50, (6,), generator=g)
        return student, teacher, targets

    def test_finite_scalar_with_gradient(self, component):
        student, teacher, targets = self._inputs()
        out = component(student, targets, teacher if component.needs_teacher else None)
        loss = out["loss"]
        assert loss.ndim == 0 and bool(loss.isfinite())
        loss.backward()
        assert student.grad is not None and student.grad.abs().sum() > 0

    def test_matching_teacher(self, component):
        if not self.zero_when_matching:
            pytest.skip("loss is not zero for a matching teacher")
        student, _, targets = self._inputs()
        out = component(student, targets, student.detach().clone())
        assert out["loss"].item() == pytest.approx(0.0, abs=1e-5)


class ClusteringContract(ComponentContract):
    kind = "clustering"

    def test_recovers_separated_blobs(self, component):
        import numpy as np

        rng = np.random.default_rng(0)
        k = component.config.n_clusters if hasattr(component, "config") else 3
        centres = rng.normal(size=(k, 16)) * 10
        x = np.concatenate([c + rng.normal(scale=0.1, size=(30, 16)) for c in centres])
        truth = np.repeat(np.arange(k), 30)
        result = component.fit(x)
        labels = np.asarray(result.labels)
        assert labels.shape == (len(x),)
        for c in range(k):  # every true blob maps onto exactly one cluster
            assert len(set(labels[truth == c])) == 1
        assert len(set(labels)) == k
        assert np.asarray(result.centroids).shape[0] == k
        assert (component.predict(x) == labels).all()


class MisalignmentScorerContract(ComponentContract):
    kind = "misalignment_scorer"

    def test_zero_for_identical_positive_otherwise(self, component):
        import torch

        g = torch.Generator().manual_seed(0)
        a = torch.randn(5, 40, generator=g)
        b = torch.randn(5, 40, generator=g)
        same = component.score(a, a.clone())
        diff = component.score(a, b)
        assert same.shape == (5,) and diff.shape == (5,)
        assert same.abs().max().item() < 1e-5
        assert bool((diff > 0).all())


class TTSEngineContract(ComponentContract):
    kind = "tts_engine"
    required_ports = ("sample_rate",)
    sentence: ClassVar[str] = "The quick brown fox jumps over the lazy dog."

    def test_voices_listed(self, component):
        voices = component.voices()
        assert voices and all(isinstance(v, str) and v for v in voices)

    def test_synthesizes_speech(self, record, component):
        import numpy as np

        audio = component.synthesize(self.sentence, component.voices()[0])
        assert isinstance(audio, np.ndarray) and audio.ndim == 1 and audio.dtype == np.float32
        seconds = len(audio) / component.sample_rate
        assert 0.8 < seconds < 15, f"{seconds:.2f} s for one short sentence"
        assert float(np.abs(audio).max()) <= 1.0
        assert float(np.sqrt(np.mean(audio**2))) > 1e-3, "output is silent"
        self._assert_ports_match(record, component, ("sample_rate",))

    def test_engine_version(self, component):
        version = component.engine_version()
        assert isinstance(version, str) and version


class CorpusContract(ComponentContract):
    kind = "corpus"
    min_records: ClassVar[int] = 1

    def test_yields_text_records(self, component):
        from itertools import islice

        from ..core.items import TextRecord

        records = list(islice(component.iter_records(), 200))
        assert len(records) >= self.min_records
        assert all(isinstance(r, TextRecord) and r.text.strip() and r.id for r in records)
        assert len({r.id for r in records}) == len(records), "ids must be unique"


class BenchmarkContract(ComponentContract):
    kind = "benchmark"

    def test_yields_valid_items(self, component):
        from itertools import islice

        from ..core.items import BenchmarkItem

        items = list(islice(component.iter_items(), 50))
        assert items
        for item in items:
            assert isinstance(item, BenchmarkItem)
            assert len(item.choices) >= 1
            if item.contexts is not None:  # per-option contexts, one shared continuation
                assert len(item.contexts) >= 2 and len(item.choices) == 1
            options = item.contexts if item.contexts is not None else item.choices
            assert 0 <= item.gold < len(options)
        assert len({i.id for i in items}) == len(items)


class TextEmbedderContract(ComponentContract):
    kind = "text_embedder"
    required_ports = ("output_dim",)

    def test_embeddings(self, record, component):
        import numpy as np

        vecs = component.embed(["A cat sat on the mat.", "A kitten sat on the rug.",
                                "Interest rates rose sharply in March."])
        assert vecs.shape == (3, component.output_dim) and vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
        assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
        self._assert_ports_match(record, component, ("output_dim",))
