"""The distillation losses against formulas written out by hand: the alpha mix, dense KL, and the
cached teacher top-k against dense KL."""

from __future__ import annotations

import math

import pytest

from salad.core.kinds.loss import TeacherTopK
from salad.core.plugin_host import get_host

torch = pytest.importorskip("torch")

from salad.speech.teacher import kl_topk  # noqa: E402


def _loss(name: str, **config):
    return get_host().registry("loss").build(name, config)


def _inputs(n: int = 5, v: int = 12, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, v, generator=g) * 2, torch.randn(n, v, generator=g) * 2,
            torch.randint(0, v, (n,), generator=g))


def _dense_kl(student, teacher, temperature=1.0):
    """mean_n sum_v p_t (log p_t - log p_s), written with plain exp/log."""
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        zs = [x / temperature for x in s_row]
        zt = [x / temperature for x in t_row]
        ls = math.log(sum(math.exp(x) for x in zs))
        lt = math.log(sum(math.exp(x) for x in zt))
        total += sum(math.exp(b - lt) * ((b - lt) - (a - ls)) for a, b in zip(zs, zt))
    return total / len(student) * temperature**2


def _nll(student, targets):
    total = 0.0
    for row, t in zip(student.tolist(), targets.tolist()):
        total += math.log(sum(math.exp(x) for x in row)) - row[t]
    return total / len(student)


def test_three_token_example_by_hand():
    """p_t = (1/2, 1/4, 1/4), p_s = (1/4, 1/2, 1/4): KL = 1/2 log 2 - 1/4 log 2 = log(2) / 4."""
    teacher = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    student = torch.log(torch.tensor([[0.25, 0.5, 0.25]]))
    kl = _loss("salad.kl_distill.v1")(student, torch.tensor([0]), teacher)["loss"]
    assert kl.item() == pytest.approx(math.log(2) / 4, abs=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_alpha_mix_is_alpha_kl_plus_one_minus_alpha_nll(alpha):
    student, teacher, targets = _inputs()
    out = _loss("salad.distill_mix.v1", alpha=alpha)(student, targets, teacher)
    expected = alpha * _dense_kl(student, teacher) + (1 - alpha) * _nll(student, targets)
    assert out["loss"].item() == pytest.approx(expected, rel=1e-5)
    if alpha > 0:
        assert out["kl"].item() == pytest.approx(_dense_kl(student, teacher), rel=1e-5)
    if alpha < 1:
        assert out["nll"].item() == pytest.approx(_nll(student, targets), rel=1e-5)


def test_nll_only_mix_needs_no_teacher():
    student, _, targets = _inputs()
    loss = _loss("salad.distill_mix.v1", alpha=0.0)
    assert loss.needs_teacher is False
    assert loss(student, targets, None)["loss"].item() == pytest.approx(_nll(student, targets),
                                                                         rel=1e-5)


def test_temperature_scales_by_t_squared():
    student, teacher, targets = _inputs()
    out = _loss("salad.kl_distill.v1", temperature=2.0)(student, targets, teacher)
    assert out["loss"].item() == pytest.approx(_dense_kl(student, teacher, 2.0), rel=1e-5)


def test_top_k_over_the_whole_vocabulary_equals_dense_kl():
    student, teacher, _ = _inputs()
    full = TeacherTopK.from_logits(teacher, teacher.shape[-1])
    assert kl_topk(student, full).item() == pytest.approx(_dense_kl(student, teacher), rel=1e-5)


@pytest.mark.parametrize("k", [1, 3, 6, 11])
def test_top_k_kl_is_the_kl_of_the_coarse_grained_distributions(k):
    """Top-k KL = exact KL between (top-k tokens + one bucket for the rest) of both sides, which
    can only lose information: it never exceeds the dense KL."""
    student, teacher, _ = _inputs()
    top = TeacherTopK.from_logits(teacher, k)
    p_t, p_s = teacher.softmax(-1), student.softmax(-1)
    expected = 0.0
    for row in range(len(teacher)):
        idx = top.indices[row].tolist()
        pt = [p_t[row, i].item() for i in idx]
        ps = [p_s[row, i].item() for i in idx]
        pt.append(1 - sum(pt))
        ps.append(1 - sum(ps))
        expected += sum(a * math.log(a / b) for a, b in zip(pt, ps) if a > 0)
    expected /= len(teacher)
    got = kl_topk(student, top).item()
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert got <= _dense_kl(student, teacher) + 1e-6


def test_mix_with_top_k_teacher_matches_its_parts():
    student, teacher, targets = _inputs()
    top = TeacherTopK.from_logits(teacher, 4)
    out = _loss("salad.distill_mix.v1", alpha=0.25)(student, targets, top)
    expected = 0.25 * kl_topk(student, top).item() + 0.75 * _nll(student, targets)
    assert out["loss"].item() == pytest.approx(expected, rel=1e-5)


def test_top_k_at_another_temperature_is_refused():
    student, teacher, targets = _inputs()
    loss = _loss("salad.kl_distill.v1", temperature=2.0)
    with pytest.raises(ValueError, match="teacher_topk: 0"):
        loss(student, targets, TeacherTopK.from_logits(teacher, 4))
