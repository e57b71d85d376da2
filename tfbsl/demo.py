"""The README's demo: a Bayesian neural network on a 1-D regression.

Trains `DenseVariational(estimator="flipout")` layers ending in an `IndependentNormal` head with
`Model.fit(jit_compile=True)`, then splits the predictive uncertainty into
epistemic (weights) and aleatoric (noise) parts, writes plots under
`demo_output/` and prints how often the predictive intervals cover held-out
points. Run it with `bash scripts/demo.sh` or `python -m tfbsl.demo`.
"""

import argparse
import os
import statistics
import time

import keras
import numpy as np

import tfbsl
from tfbsl.layers import DenseVariational, IndependentNormal

__all__ = ["build_model", "coverage", "main", "make_data", "plot"]

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)


def make_data(n, rng):
    """The demo's data: y = x sin(x) / 2 + noise growing with |x|, x uniform
    in [-4, 4].

    Args:
        n: number of examples.
        rng: a `numpy.random.Generator`.

    Returns:
        `(x, y)`, float32 arrays of shape `(n, 1)`.

    Example:
    ```pycon
    >>> x, y = tfbsl.demo.make_data(100, np.random.default_rng(0))
    >>> x.shape, y.dtype, bool(abs(x).max() <= 4)
    ((100, 1), dtype('float32'), True)

    ```
    """
    x = rng.uniform(-4.0, 4.0, n)
    noise = 0.05 + 0.1 * np.abs(x)
    y = 0.5 * x * np.sin(x) + noise * rng.normal(size=n)
    return x[:, None].astype("float32"), y[:, None].astype("float32")


def build_model(num_train, seed=0):
    """The demo's Bayesian network: three Flipout `DenseVariational` layers
    (64, 64 units, ReLU) with `kl_weight = 1 / num_train`, ending in an
    `IndependentNormal` head.

    Args:
        num_train: number of training examples (the KL weight's divisor).
        seed: int seeding the first layer's draws (`seed + 1`, `seed + 2`
            the next ones).

    Returns:
        An uncompiled `keras.Sequential` model of `x` of shape `(batch, 1)`.

    Example:
    ```pycon
    >>> model = tfbsl.demo.build_model(1000)
    >>> [type(layer).__name__ for layer in model.layers]
    ['DenseVariational', 'DenseVariational', 'DenseVariational', 'IndependentNormal']

    ```
    """
    # tfbsl's mean-field posterior (scales from 1e-3) with Flipout noise.
    bayes = {"estimator": "flipout", "kl_weight": 1.0 / num_train}
    return keras.Sequential([
        keras.Input((1,)),
        DenseVariational(64, activation="relu", **bayes, seed=seed),
        DenseVariational(64, activation="relu", **bayes, seed=seed + 1),
        DenseVariational(IndependentNormal.params_size(1), **bayes, seed=seed + 2),
        IndependentNormal(1),
    ])


def _negative_log_likelihood(y, distribution):
    return -distribution.log_prob(y)


def coverage(mean, stddev, y, level):
    """Fraction of `y` within the central `level` Normal interval
    `mean +- z * stddev`.

    Args:
        mean: predictive means.
        stddev: predictive standard deviations, shaped like `mean`.
        y: targets, shaped like `mean`.
        level: nominal level in (0, 1).

    Returns:
        A float in [0, 1].

    Example:
    ```pycon
    >>> tfbsl.demo.coverage(np.zeros(4), np.ones(4), np.array([0.5, -1.0, 1.5, 3.0]), 0.95)
    0.75

    ```
    """
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    return float(np.mean(np.abs(y - mean) <= z * stddev))


def plot(out_dir, x, y, grid, pred, test_pred, y_test):
    """Write the demo's three figures (`predictive.png`,
    `uncertainty_split.png`, `calibration.png`) under `out_dir` (matplotlib).

    Args:
        out_dir: an existing directory.
        x: training inputs `(n, 1)`.
        y: training targets `(n, 1)`.
        grid: inputs `(m, 1)` the bands are drawn over.
        pred: `predict_mc`'s `MCPrediction` on `grid`.
        test_pred: `predict_mc`'s `MCPrediction` on the held-out inputs.
        y_test: held-out targets.

    Example:
    ```pycon
    >>> import tempfile, os
    >>> x, y = tfbsl.demo.make_data(50, np.random.default_rng(0))
    >>> s = np.full_like(y, 0.3)
    >>> pred = tfbsl.MCPrediction(mean=y, stddev=s, samples=None, epistemic_stddev=s / 2,
    ...                           aleatoric_stddev=s / 2)  # as predict_mc returns
    >>> with tempfile.TemporaryDirectory() as out:
    ...     tfbsl.demo.plot(out, x, y, x, pred, pred, y)
    ...     sorted(os.listdir(out))
    ['calibration.png', 'predictive.png', 'uncertainty_split.png']

    ```
    """
    import matplotlib
    matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
    import matplotlib.pyplot as plt

    g, m = grid.ravel(), pred.mean.ravel()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.fill_between(g, m - 1.96 * pred.stddev.ravel(), m + 1.96 * pred.stddev.ravel(),
                    color="tab:blue", alpha=0.2, label="95% total (epistemic + aleatoric)")
    ax.fill_between(g, m - 1.96 * pred.epistemic_stddev.ravel(),
                    m + 1.96 * pred.epistemic_stddev.ravel(),
                    color="tab:orange", alpha=0.4, label="95% epistemic")
    ax.scatter(x.ravel(), y.ravel(), s=4, color="k", alpha=0.4, label="training data")
    ax.plot(g, m, color="tab:blue", label="predictive mean")
    ax.plot(g, 0.5 * g * np.sin(g), "k--", lw=1, label="true mean")
    ax.set(xlabel="x", ylabel="y", title="Bayesian neural network: predictive bands")
    ax.legend(loc="lower center", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "predictive.png"), dpi=120)

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(g, pred.epistemic_stddev.ravel(), label="epistemic std (weights)")
    ax.plot(g, pred.aleatoric_stddev.ravel(), label="aleatoric std (noise)")
    ax.plot(g, 0.05 + 0.1 * np.abs(g), "k--", lw=1, label="true noise std")
    for edge in (-4, 4):
        ax.axvline(edge, color="grey", lw=1)
    ax.set(xlabel="x", ylabel="standard deviation", title="Uncertainty split")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "uncertainty_split.png"), dpi=120)

    levels = np.linspace(0.05, 0.99, 30)
    observed = [coverage(test_pred.mean, test_pred.stddev, y_test, lv) for lv in levels]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    ax.plot(levels, observed, "o-", ms=3, label="tfbsl BNN")
    ax.set(xlabel="nominal level", ylabel="held-out coverage", title="Calibration")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "calibration.png"), dpi=120)
    plt.close("all")


def main(argv=None):
    """Run the demo (`python -m tfbsl.demo`): train, predict, plot, print
    the held-out coverage of the predictive intervals.

    Args:
        argv: command-line arguments (`--epochs` of 100 steps, default 40;
            `--samples`, Monte-Carlo passes, default 200; `--out`, the
            figures' directory, default `demo_output`); None reads
            `sys.argv`.

    The whole demo takes about 25 s on 2 CPU cores, so it has no doctest;
    from a shell: `python -m tfbsl.demo --epochs 40 --out demo_output`.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="epochs of 100 steps")
    parser.add_argument("--samples", type=int, default=200, help="Monte-Carlo passes")
    parser.add_argument("--out", default="demo_output")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_data(1000, rng)
    x_test, y_test = make_data(1000, rng)
    model = build_model(len(x))
    model.compile(keras.optimizers.Adam(5e-3), loss=_negative_log_likelihood, jit_compile=True)

    import tensorflow as tf
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(64).repeat()
    start = time.perf_counter()
    model.fit(data, epochs=args.epochs, steps_per_epoch=100, verbose=1)
    seconds = time.perf_counter() - start

    grid = np.linspace(-6, 6, 400, dtype="float32")[:, None]
    pred = tfbsl.predict_mc(model, grid, num_samples=args.samples)
    test_pred = tfbsl.predict_mc(model, x_test, num_samples=args.samples)
    os.makedirs(args.out, exist_ok=True)
    plot(args.out, x, y, grid, pred, test_pred, y_test)

    rmse = float(np.sqrt(np.mean((test_pred.mean - y_test) ** 2)))
    inside = np.abs(grid.ravel()) < 4
    outside = np.abs(grid.ravel()) > 5
    print(f"\ntrained in {seconds:.1f} s; held-out RMSE {rmse:.3f} "
          f"(target std {y_test.std():.3f})")
    print(f"epistemic std: {pred.epistemic_stddev.ravel()[inside].mean():.3f} over the data "
          f"(|x| < 4), {pred.epistemic_stddev.ravel()[outside].mean():.3f} away from it (|x| > 5)")
    print("\nheld-out coverage of central predictive intervals")
    print(f"{'nominal':>8} {'observed':>9}")
    for level in LEVELS:
        print(f"{level:>8.0%} {coverage(test_pred.mean, test_pred.stddev, y_test, level):>9.1%}")
    print(f"\nplots written to {os.path.abspath(args.out)}/: "
          "predictive.png, uncertainty_split.png, calibration.png")


if __name__ == "__main__":
    main()
