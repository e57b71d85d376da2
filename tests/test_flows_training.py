"""Flows trained with `Model.fit` (jit-compiled): two moons against a
full-covariance Gaussian, a conditional density, and `.keras` round trips."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_moons

from tfbsl.layers import (
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineCoupling,
)

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


@keras.saving.register_keras_serializable(package="tests")
def flow_nll(_, log_prob):
    return -log_prob


def _moons(n, seed):
    x = make_moons(n, noise=0.05, random_state=seed)[0]
    mean, std = np.array([0.5, 0.25]), np.array([0.87, 0.5])  # roughly standardised
    return ((x - mean) / std).astype("float32")


def _gaussian_nll(train, test):
    mean, cov = train.mean(0), np.cov(train.T)
    d = test - mean
    maha = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    return np.mean(0.5 * maha + 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))


def _fit(flow, x, epochs):
    x_in = keras.Input((2,))
    model = keras.Model(x_in, flow(x_in))
    model.compile(keras.optimizers.Adam(3e-3), loss=flow_nll, jit_compile=True)
    model.fit(x, np.zeros(len(x)), epochs=epochs, batch_size=128, verbose=0)
    return model


def test_maf_and_spline_flow_beat_a_gaussian_on_two_moons(tmp_path):
    train, test = _moons(2048, 0), _moons(1000, 1)
    gaussian = _gaussian_nll(train, test)
    flows = {
        "maf": NormalizingFlow([MaskedAutoregressive((32, 32)), Permute(),
                                MaskedAutoregressive((32, 32))]),
        "spline": NormalizingFlow([SplineCoupling((32, 32), bins=6), Permute(),
                                   SplineCoupling((32, 32), bins=6)]),
    }
    for name, flow in flows.items():
        model = _fit(flow, train, epochs=12)
        nll = -np.mean(flow.log_prob(test))
        assert nll < gaussian - 0.4, (name, nll, gaussian)

        # The density integrates to one over a grid covering the data.
        grid = np.stack(np.meshgrid(*2 * [np.linspace(-5, 5, 201)]), -1).reshape(-1, 2)
        mass = np.exp(flow.log_prob(grid.astype("float32"))).sum() * 0.05 ** 2
        assert abs(mass - 1) < 0.05, (name, mass)

        path = str(tmp_path / f"{name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        reloaded = loaded.layers[-1]
        np.testing.assert_allclose(reloaded.log_prob(test), flow.log_prob(test),
                                   rtol=1e-5, atol=1e-5)
        samples = reloaded.sample(2000, seed=0).numpy()
        # Samples land where the data are: their held-out-model NLL is close.
        assert -np.mean(flow.log_prob(samples)) < nll + 0.5


def test_conditional_flow_learns_a_context_dependent_density():
    rng = np.random.default_rng(0)
    context = rng.integers(0, 2, size=(2048, 1)).astype("float32")
    x = (rng.normal(size=(2048, 2)) * 0.3 + np.where(context > 0, 1.0, -1.0)).astype("float32")
    flow = NormalizingFlow([MaskedAutoregressive((16, 16))])
    x_in, c_in = keras.Input((2,)), keras.Input((1,))
    model = keras.Model([x_in, c_in], flow(x_in, context=c_in))
    model.compile(keras.optimizers.Adam(2e-2), loss=flow_nll, jit_compile=True)
    model.fit([x, context], np.zeros(len(x)), epochs=5, batch_size=32, verbose=0)

    point = np.full((1, 2), 1.0, "float32")
    right, wrong = flow.log_prob(point, [[1.0]]), flow.log_prob(point, [[0.0]])
    assert float(right[0]) > float(wrong[0]) + 5
    for c, centre in [(0.0, -1.0), (1.0, 1.0)]:
        samples = flow.sample(500, context=[c], seed=1).numpy()
        np.testing.assert_allclose(samples.mean(0), [centre, centre], atol=0.25)
