"""The variational family on every backend: generic dense and conv layers with
each estimator, priors and posteriors, `Sampling` and `KLAnnealing`,
`bayesianize`, seeds, and the TF-only layers' errors elsewhere."""

import math

import keras
import numpy as np
import pytest
from keras import ops

import tfbsl
from tfbsl._backend import NAME, tfd
from tfbsl._random import tfp_seed

ESTIMATORS = ["reparameterization", "flipout", "local_reparameterization"]


def _regression(n=384, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [2.0], [-1.0]]) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    return x[:256], y[:256], x[256:], y[256:]


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_dense_fits_jit_compiled_and_beats_the_mean(estimator):
    x, y, x_test, y_test = _regression()
    model = keras.Sequential([
        keras.Input((3,)),
        tfbsl.layers.DenseVariational(1, estimator=estimator, kl_weight=1 / len(x), seed=1),
    ])
    model.compile(keras.optimizers.Adam(0.05), "mse", jit_compile=True)
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    mse = float(np.mean((model.predict(x_test, verbose=0) - y_test) ** 2))
    baseline = float(np.mean((y_test - y.mean()) ** 2))
    assert mse < 0.1 * baseline, (mse, baseline)
    model(x_test[:4])
    assert len(model.losses) == 1 and float(model.losses[0]) > 0  # the KL term


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_conv2d_fits_jit_compiled(estimator):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 6, 6, 1)).astype("float32")
    y = x.mean(axis=(1, 2, 3))[:, None].astype("float32") * 3.0
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        tfbsl.layers.Conv2DVariational(2, 3, estimator=estimator, kl_weight=1 / 128, seed=2),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(1),
    ])
    model.compile(keras.optimizers.Adam(0.05), "mse", jit_compile=True)
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert mse < 0.5 * float(np.var(y)), (mse, np.var(y))  # half the variance explained


def test_sampled_outputs_vary_and_a_seed_reproduces_them():
    x = np.ones((4, 3), "float32")

    def outputs(seed):
        keras.utils.set_random_seed(0)  # the same initial posterior
        layer = tfbsl.layers.DenseVariational(
            5, estimator="flipout", seed=seed,
            make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=0.5))
        return [np.asarray(layer(x)) for _ in range(2)]

    first, second = outputs(7), outputs(7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.allclose(first[0], first[1])  # a fresh draw per call
    assert not np.allclose(first[0], outputs(8)[0])


def _gaussian_kl(mu_q, sigma_q, mu_p, sigma_p):
    return np.sum(np.log(sigma_p / sigma_q)
                  + (sigma_q**2 + (mu_q - mu_p) ** 2) / (2 * sigma_p**2) - 0.5)


def test_analytic_kl_is_the_closed_form():
    layer = tfbsl.layers.DenseVariational(
        2, kl_weight=0.5, prior=tfbsl.priors.Normal(scale=0.7),
        make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=0.3))
    layer(np.zeros((1, 3), "float32"))
    posterior = layer.posterior
    loc = np.asarray(posterior.loc)
    scale = np.log1p(np.exp(np.asarray(posterior.rho, "float64")))
    expected = 0.5 * _gaussian_kl(loc, scale, 0.0, 0.7)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-4)


@pytest.mark.parametrize("make, fan_in", [
    (lambda prior: tfbsl.layers.DenseVariational(2, prior=prior), 3),
    (lambda prior: tfbsl.layers.Conv1DVariational(2, 5, prior=prior), 5 * 3),
])
def test_fan_in_prior_scales_kernels_by_the_fan_in_and_its_kl_is_the_closed_form(make, fan_in):
    prior = tfbsl.priors.FanInNormal(gain=1.5, bias_scale=0.4)
    layer = make(prior)
    layer.kl_weight = 1.0
    layer(np.zeros((1, 7, 3) if fan_in > 3 else (1, 3), "float32"))
    loc = np.asarray(layer.posterior.loc)
    scale = np.log1p(np.exp(np.asarray(layer.posterior.rho, "float64")))
    kernel = layer._kernel_numel
    prior_scale = np.r_[np.full(kernel, 1.5 / np.sqrt(fan_in)), np.full(len(loc) - kernel, 0.4)]
    np.testing.assert_allclose(
        np.asarray(layer.prior_model().distribution.stddev()), prior_scale, rtol=1e-6)
    np.testing.assert_allclose(
        float(layer.losses[0]), _gaussian_kl(loc, scale, 0.0, prior_scale), rtol=1e-4)


@pytest.mark.slow
def test_monte_carlo_kl_of_the_scale_mixture_is_unbiased():
    prior = tfbsl.priors.ScaleMixtureNormal(pi=0.5, scale1=1.0, scale2=math.exp(-2))
    layer = tfbsl.layers.DenseVariational(
        3, prior=prior, seed=3,
        make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=0.2))
    x = np.zeros((1, 4), "float32")
    draws = []
    for _ in range(400):
        layer(x)
        draws.append(float(layer.losses[0]))
    q = tfd.Independent(tfd.Normal(
        ops.convert_to_tensor(layer.posterior.loc),
        ops.softplus(ops.convert_to_tensor(layer.posterior.rho))), 1)
    p = prior(15)()
    z = q.sample(20000, seed=tfp_seed(keras.random.SeedGenerator(0)))
    exact = float(ops.mean(q.log_prob(z) - p.log_prob(z)))
    spread = np.std(draws) / np.sqrt(len(draws))
    assert abs(np.mean(draws) - exact) < 5 * spread + 0.02 * abs(exact), (np.mean(draws), exact)


def test_trainable_prior_and_kl_weight_trained_under_jit():
    x, y, _, _ = _regression()
    layer = tfbsl.layers.DenseVariational(
        1, kl_weight=1 / len(x),
        prior=tfbsl.priors.TrainableNormal(scale=1.0, trainable_scale=True))
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.Adam(0.05), "mse", jit_compile=True)
    before = [np.asarray(w).copy() for w in layer.prior_model.trainable_weights]
    model.fit(x, y, epochs=3, verbose=0)
    after = [np.asarray(w) for w in layer.prior_model.trainable_weights]
    assert before and any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))


def test_sampling_moments_and_kl():
    rng = np.random.default_rng(4)
    mean = rng.normal(size=(1, 3)).astype("float32")
    log_var = rng.normal(scale=0.3, size=(1, 3)).astype("float32")
    layer = tfbsl.layers.Sampling(seed=5)
    n = 4000
    z = np.asarray(layer([np.repeat(mean, n, 0), np.repeat(log_var, n, 0)]))
    sigma = np.exp(log_var / 2)
    # Mean within 5 standard errors, variance within 5 of its standard errors.
    assert np.all(np.abs(z.mean(0) - mean[0]) < 5 * sigma[0] / np.sqrt(n))
    assert np.all(np.abs(z.var(0) / sigma[0] ** 2 - 1) < 5 * np.sqrt(2 / n))
    expected = _gaussian_kl(mean[0], sigma[0], 0.0, 1.0)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-4)


@pytest.mark.slow
def test_vae_with_kl_annealing_trains_jit_compiled():
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(256, 2)) @ np.array([[1.0, 0.5, 0.0, -1.0], [0.0, 1.0, 1.0, 0.5]])
         ).astype("float32")
    inputs = keras.Input((4,))
    h = keras.layers.Dense(16, activation="tanh")(inputs)
    z = tfbsl.layers.Sampling(seed=6)([keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)])
    outputs = keras.layers.Dense(4)(keras.layers.Dense(16, activation="tanh")(z))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.02), "mse", jit_compile=True)
    # To a small KL weight: with weight 1 against a per-element MSE the
    # posterior collapses to the prior (the KL costs more than it explains).
    annealing = tfbsl.callbacks.KLAnnealing(steps=4, stop=0.02)
    model.fit(x, x, epochs=30, batch_size=64, verbose=0, callbacks=[annealing])
    sampling = next(layer for layer in model.layers if isinstance(layer, tfbsl.layers.Sampling))
    assert float(sampling.kl_weight_variable) == pytest.approx(0.02)
    mse = float(np.mean((model.predict(x, verbose=0) - x) ** 2))
    assert mse < 0.5 * float(np.mean((x - x.mean(0)) ** 2)), mse


def test_bayesianize_keeps_the_predictive_mean():
    x, y, x_test, _ = _regression()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse", jit_compile=True)
    model.fit(x, y, epochs=2, verbose=0)
    bayesian = tfbsl.bayesianize(model, moped_delta=1e-4, seed=0)
    np.testing.assert_allclose(bayesian.predict(x_test, verbose=0),
                               model.predict(x_test, verbose=0), atol=5e-3)
    bayesian.compile("adam", "mse", jit_compile=True)
    bayesian.fit(x, y, epochs=1, verbose=0)


def test_keras_round_trip(tmp_path):
    x, y, x_test, _ = _regression()
    model = keras.Sequential([
        keras.Input((3,)),
        tfbsl.layers.DenseVariational(4, estimator="flipout", seed=1,
                                      prior=tfbsl.priors.ScaleMixtureNormal()),
        keras.layers.Dense(1),
    ])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer, twin = model.layers[0], loaded.layers[0]
    for a, b in zip(layer.weights, twin.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # The posterior mean's output (no noise): equal.
    mean = ops.convert_to_tensor(layer.posterior.loc)
    np.testing.assert_allclose(np.asarray(twin.posterior.loc), np.asarray(mean))


@pytest.mark.skipif(NAME == "tensorflow", reason="the per-part layers are TF's own")
@pytest.mark.parametrize("make", [
    lambda: tfbsl.layers.DenseFlipout(2),
    lambda: tfbsl.layers.Convolution2DReparameterization(2, 3),
    lambda: tfbsl.layers.WeightNorm(keras.layers.Dense(2)),
], ids=["DenseFlipout", "Convolution2DReparameterization", "WeightNorm"])
def test_tensorflow_only_layers_say_so(make):
    with pytest.raises(RuntimeError, match="TensorFlow backend only.*Received: keras.backend"):
        make()


def test_noise_draws_are_standard_normal_and_fair_signs():
    from tfbsl import _random

    generator = keras.random.SeedGenerator(3)
    z = np.asarray(_random.normal((400, 500), generator)).ravel()
    signs = np.asarray(_random.rademacher((400, 500), generator))
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n) and abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert set(np.unique(signs)) == {-1.0, 1.0}
    assert abs(signs.mean()) < 5 / np.sqrt(n)
    # Neighbours (in either axis) are uncorrelated: packing 32 signs in a word
    # must not repeat them.
    for a, b in ((signs[:, 1:], signs[:, :-1]), (signs[1:], signs[:-1])):
        assert abs(np.mean(a * b)) < 5 / np.sqrt(a.size)
