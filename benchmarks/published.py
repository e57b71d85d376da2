"""Published and computed reference figures that the benchmarks print beside their own.

Every figure here is labelled with its source. `±` is a standard error over the
protocol's splits unless the row says otherwise (`spread`).

- `UCI_WINE_RED`: published test RMSE and test log-likelihood on UCI
  wine-quality-red under the protocol of Hernández-Lobato & Adams (2015), used by
  `benchmarks/uci_wine.py`; the papers are in `REFERENCES`.
- `FLOW_ENTROPY_RAW`: the entropy of the 2-D toy densities of
  `benchmarks/flows_2d.py` on the raw data scale (the best held-out NLL any model
  can reach), with how each was computed; `data_entropy_mc` recomputes them.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# ---- UCI wine-quality-red regression --------------------------------------------------

REFERENCES = {
    "Hernandez-Lobato & Adams 2015": (
        "J. M. Hernández-Lobato and R. P. Adams, \"Probabilistic Backpropagation for "
        "Scalable Learning of Bayesian Neural Networks\", ICML 2015 (PMLR 37), "
        "https://arxiv.org/abs/1502.05336"),
    "Graves 2011": (
        "A. Graves, \"Practical Variational Inference for Neural Networks\", "
        "NeurIPS 24, 2011, https://proceedings.neurips.cc/paper/2011"),
    "Gal & Ghahramani 2016": (
        "Y. Gal and Z. Ghahramani, \"Dropout as a Bayesian Approximation: Representing "
        "Model Uncertainty in Deep Learning\", ICML 2016 (PMLR 48), "
        "https://arxiv.org/abs/1506.02142; per-dataset figures also in the README of "
        "https://github.com/yaringal/DropoutUncertaintyExps"),
    "Lakshminarayanan et al. 2017": (
        "B. Lakshminarayanan, A. Pritzel and C. Blundell, \"Simple and Scalable "
        "Predictive Uncertainty Estimation using Deep Ensembles\", NeurIPS 2017, "
        "https://arxiv.org/abs/1612.01474"),
}

UCI_PROTOCOL = (
    "Hernández-Lobato & Adams 2015: 20 random 90/10 train/test splits, one hidden layer of "
    "50 units, inputs and targets normalised with the training split's mean and standard "
    "deviation; test RMSE and test log-likelihood per example (Gaussian predictive, nats) on "
    "the original target scale, mean ± standard error over the splits")


class PublishedRow(NamedTuple):
    """One published result. `source` is the short label printed in the results table
    (and written to the results files); `references` are keys of `REFERENCES`;
    `spread` says what `rmse_se` and `ll_se` are."""

    method: str
    rmse: float
    rmse_se: float
    ll: float
    ll_se: float
    source: str
    references: tuple[str, ...]
    spread: str = "s.e."
    note: str = ""


UCI_WINE_RED = [
    PublishedRow(
        "VI (Graves 2011)", 0.646, 0.008, -0.98, 0.01,
        "as tabulated by Hernandez-Lobato & Adams 2015",
        ("Hernandez-Lobato & Adams 2015", "Graves 2011"),
        note="Graves' mean-field VI, run by Hernández-Lobato & Adams on their splits "
             "beside PBP"),
    PublishedRow(
        "PBP", 0.635, 0.008, -0.97, 0.01, "Hernandez-Lobato & Adams 2015",
        ("Hernandez-Lobato & Adams 2015",),
        note="probabilistic backpropagation, 40 epochs; Lakshminarayanan et al. 2017, "
             "Table 1, rounds it to 0.64 / -0.97"),
    PublishedRow(
        "MC dropout", 0.62, 0.01, -0.93, 0.01, "Gal & Ghahramani 2016",
        ("Gal & Ghahramani 2016",),
        note="its Table 1 prints 0.62 ± 0.04 / -0.93 ± 0.06 (so does the README of "
             "DropoutUncertaintyExps, 'original'), a standard deviation over the 20 splits "
             "(its Boston RMSE is 2.97 ± 0.85 against PBP's 3.01 ± 0.18 s.e.); the standard "
             "errors here are those divided by sqrt(20) (0.009, 0.013)"),
    PublishedRow(
        "deep ensembles", 0.64, 0.04, -0.94, 0.12,
        "Lakshminarayanan et al. 2017 (± s.d.)",
        ("Lakshminarayanan et al. 2017",),
        spread="s.d.",
        note="5 networks with adversarial training, their Table 1 (NLL 0.94 negated); its ± "
             "has the size of a standard deviation over the splits (Boston RMSE 3.28 ± 1.00), "
             "for the RMSE as well as the log-likelihood; as standard errors (/ sqrt(20)): "
             "0.009, 0.027"),
]


# ---- 2-D toy densities (benchmarks/flows_2d.py) ----------------------------------------

FLOW_ENTROPY_RAW = {
    # make_moons(noise=0.05): the two unit half-circles, uniform in angle, blurred by
    # N(0, 0.05^2 I). No closed form: Monte Carlo, -mean log p(x) over draws x, log p
    # from the exact (infinite-sample) density; two independent estimates agree within
    # +-0.005 nats. `data_entropy_mc("moons", ...)` on 20,000 draws gives 0.291 +- 0.005.
    "moons": 0.285,
    # FFJORD's 8 Gaussians: 8 equally weighted isotropic Normals of s.d. 0.5 / 1.414
    # centred on a circle of radius 4 / 1.414. Monte Carlo as above (2.835 +- 0.002 on
    # 200,000 draws); the components are 6 s.d. apart, so it is within 0.005 of the
    # non-overlapping closed form ln 8 + ln(2 pi e sigma^2) = 2.838.
    "8gaussians": 2.835,
    # FFJORD's checkerboard: uniform on 8 of the 16 unit squares of [-2, 2]^2 (ln 8),
    # then scaled by 2 in both coordinates (+ ln 4): exactly ln 32 = 3.466.
    "checkerboard": math.log(32.0),
}


def _log_mean_exp(a):
    top = a.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(a - top).mean(axis=1))


def data_log_prob(name, x, arc_points=4000):
    """Exact log density of `flows_2d.make_data(name, ...)` at the points `x` (n, 2),
    the moons' as n -> infinity (each half-circle discretised into `arc_points`)."""
    x = np.asarray(x, dtype="float64")
    if name == "moons":
        sigma = 0.05
        t = np.linspace(0.0, np.pi, arc_points)
        centres = np.concatenate([np.stack([np.cos(t), np.sin(t)], 1),
                                  np.stack([1 - np.cos(t), 1 - np.sin(t) - 0.5], 1)])
    elif name == "8gaussians":
        sigma = 0.5 / 1.414
        s = 1 / np.sqrt(2)
        centres = 4 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1),
                                (s, s), (s, -s), (-s, s), (-s, -s)]) / 1.414
    elif name == "checkerboard":
        # unscaled, a point is in a square whose floor(x1) + floor(x2) is even
        cell = np.floor(x / 2)
        inside = (np.abs(x) <= 4).all(1) & ((cell[:, 0] + cell[:, 1]) % 2 == 0)
        return np.where(inside, -math.log(32.0), -np.inf)
    else:
        raise ValueError(f"unknown dataset {name!r}")
    out = []
    for chunk in np.array_split(x, max(1, len(x) // 1000)):
        d2 = ((chunk[:, None, :] - centres[None]) ** 2).sum(-1)
        out.append(_log_mean_exp(-d2 / (2 * sigma**2)) - np.log(2 * np.pi * sigma**2))
    return np.concatenate(out)


def data_entropy_mc(name, x):
    """(entropy, its Monte-Carlo standard error) in nats from draws `x` of the data,
    e.g. `data_entropy_mc("moons", benchmarks.flows_2d.make_data("moons", 20000, 0))`."""
    log_p = data_log_prob(name, x)
    return float(-log_p.mean()), float(log_p.std(ddof=1) / np.sqrt(len(log_p)))
