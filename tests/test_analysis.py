"""Scaling-law fits and regression statistics on data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from salad.analysis.regression import accuracy_analysis, loo_r2, partial_r2, r2
from salad.analysis.scaling import fit_scaling_law, plot_scaling


def test_scaling_law_recovers_parameters(tmp_path):
    d = np.geomspace(1e4, 1e7, 12)
    m = 0.2 + 30.0 * d ** -0.4
    fit = fit_scaling_law(d, m)
    assert fit.E == pytest.approx(0.2, rel=1e-3)
    assert fit.beta == pytest.approx(0.4, rel=1e-3)
    assert fit.B == pytest.approx(30.0, rel=1e-2)
    assert fit.r2 > 0.9999
    # M(D*) is exactly 5% above E at the reported token count
    assert fit.predict(fit.tokens_within_5pct) == pytest.approx(1.05 * 0.2, rel=1e-3)
    plot_scaling(fit, d, m, tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 1000


def test_scaling_law_needs_points():
    from salad.core.errors import SaladError

    with pytest.raises(SaladError):
        fit_scaling_law([1, 2, 3], [1, 0.5, 0.4])


def test_r2_loo_and_partial():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=30), rng.normal(size=30)
    y = 2 * x1 + 0.01 * rng.normal(size=30)
    assert r2(y, x1) > 0.999 and r2(y, x2) < 0.2
    assert loo_r2(y, x1) > 0.999 and loo_r2(y, x2) < r2(y, x2)
    assert partial_r2(y, x1, x2) > 0.999 and partial_r2(y, x2, x1) < 0.2
    out = accuracy_analysis(speech_acc=-np.log(np.exp(x1) + 3), text_acc=x2,
                            misalignment=np.exp(x1) + 3, forgetting=x2)
    assert out["speech_acc~log_M: R2"] == pytest.approx(1.0)
    assert out["text_acc~F: R2"] == pytest.approx(1.0)


def test_partial_r2_is_undefined_when_nothing_is_left_to_explain():
    import math

    x1, x2 = [1.0, 2.0, 3.0, 4.0, 5.0], [0.3, -0.1, 0.4, 0.0, 0.2]
    assert math.isnan(partial_r2([0.5] * 5, x1, x2))  # constant response
    assert math.isnan(partial_r2([2 * v + 1 for v in x2], x1, x2))  # controls explain it all
