"""Uncertainty worth reading with the library's defaults (no posterior or
prior given, `kl_weight = 1 / n`): a Bayesian network is uncertain inside a
gap in its data, not only outside it. `benchmarks/defaults_study.py` is the
study behind these settings (docs: Benchmarks, Defaults)."""

import keras
import numpy as np
import pytest

import tfbsl

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def test_epistemic_spread_inside_a_gap_in_the_data_is_twice_that_on_the_data():
    # y = sin(2x) + noise on x in [-2, -0.75] U [0.75, 2]. Measured (seed 0):
    # inside [-0.5, 0.5] the epistemic standard deviation is 3.3x its mean
    # over the training inputs after 150 epochs; after 60 epochs it is 1.6x
    # (the posterior over the data is still narrowing).
    rng = np.random.default_rng(0)
    n = 1000
    x = np.concatenate([rng.uniform(-2, -0.75, n // 2), rng.uniform(0.75, 2, n // 2)])
    x = x[:, None].astype("float32")
    y = (np.sin(2 * x) + 0.1 * rng.normal(size=x.shape)).astype("float32")
    keras.utils.set_random_seed(0)
    bayes = {"kl_weight": 1 / n, "estimator": "flipout"}
    model = keras.Sequential([
        keras.Input((1,)),
        tfbsl.layers.DenseVariational(50, activation="relu", **bayes),
        tfbsl.layers.DenseVariational(50, activation="relu", **bayes),
        tfbsl.layers.DenseVariational(2, **bayes),
        tfbsl.layers.IndependentNormal(1),
    ])
    model.compile(keras.optimizers.Adam(1e-2), tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    model.fit(x, y, epochs=150, batch_size=32, verbose=0)

    inside = tfbsl.predict_mc(model, np.linspace(-0.5, 0.5, 21, dtype="float32")[:, None], 100)
    on_data = tfbsl.predict_mc(model, x, 100)
    assert np.sqrt(np.mean((on_data.mean - y) ** 2)) < 0.15  # the noise is 0.1
    ratio = inside.epistemic_stddev.mean() / on_data.epistemic_stddev.mean()
    assert ratio >= 2, ratio
