"""Fit ``M(D) = E + B * D^-beta`` to misalignment over training tokens.

E is the irreducible misalignment; the fit also reports how many tokens a run needs to come
within 5% of E (``M(D) <= 1.05 * E``, i.e. ``D = (B / (0.05 E))^(1 / beta)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..core.errors import SaladError


@dataclass(frozen=True)
class ScalingFit:
    E: float
    B: float
    beta: float
    r2: float
    tokens_within_5pct: float
    n_points: int

    def predict(self, tokens) -> np.ndarray:
        return self.E + self.B * np.asarray(tokens, dtype=float) ** (-self.beta)

    def as_dict(self) -> dict:
        return asdict(self)


def fit_scaling_law(tokens: Sequence[float], misalignment: Sequence[float]) -> ScalingFit:
    from scipy.optimize import curve_fit

    d = np.asarray(tokens, dtype=float)
    m = np.asarray(misalignment, dtype=float)
    keep = (d > 0) & np.isfinite(m)
    d, m = d[keep], m[keep]
    if len(d) < 4:
        raise SaladError(f"a scaling-law fit needs at least 4 points with tokens > 0, got {len(d)}")
    scale = d.max()
    x = d / scale  # fit in scaled units for conditioning, then convert B back

    def model(x, e, b, beta):
        return e + b * x ** (-beta)

    e0 = max(m.min() * 0.9, 1e-6)
    p0 = (e0, max(m[0] - e0, 1e-3) * x[0] ** 0.5, 0.5)
    bounds = ([0.0, 0.0, 1e-3], [np.inf, np.inf, 5.0])
    (e, b, beta), _ = curve_fit(model, x, m, p0=p0, bounds=bounds, maxfev=20000)
    pred = model(x, e, b, beta)
    ss_res = float(np.sum((m - pred) ** 2))
    ss_tot = float(np.sum((m - m.mean()) ** 2)) or 1e-12
    b_tokens = b * scale**beta
    within = (b_tokens / (0.05 * e)) ** (1.0 / beta) if e > 0 else float("inf")
    return ScalingFit(float(e), float(b_tokens), float(beta), 1.0 - ss_res / ss_tot,
                      float(within), int(len(d)))


def plot_scaling(fit: ScalingFit, tokens, misalignment, path, title: str = "") -> None:
    """The points and the fitted curve over the tokens trained (never extrapolated), E and,
    when the data reach it, the token count at which M comes within 5% of E."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = np.asarray(tokens, dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.scatter(d, misalignment, s=14, label="held-out M", color="tab:blue")
    grid = np.geomspace(max(d[d > 0].min(), 1), d.max(), 200)  # no curve past the data
    ax.plot(grid, fit.predict(grid), color="tab:orange",
            label=f"E={fit.E:.3f}, beta={fit.beta:.2f}")
    ax.axhline(fit.E, ls=":", color="gray")
    if fit.tokens_within_5pct <= d.max():
        ax.axvline(fit.tokens_within_5pct, ls="--", color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("misalignment M (nats/token)")
    ax.set_title(title or "M(D) = E + B D^-beta")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
