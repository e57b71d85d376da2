"""tfbsl.baselines on every backend: temperature scaling recovers a known
over-confidence factor, a deep ensemble predicts its members' mixture (and
survives a `.keras` round trip)."""

import os
import warnings

import keras
import numpy as np
import pytest

import tfbsl
from tfbsl._backend import tfd

B = tfbsl.baselines


# predict_mc / predict_proba_mc on an MC-dropout model ------------------------

def test_mc_passes_redraw_dropout_the_model_calls_with_training_true():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    always_on = keras.layers.Dropout(0.5)(hidden, training=True)  # MC dropout
    in_training_only = keras.layers.Dropout(0.5)(hidden)
    head = keras.layers.Dense(3, activation="softmax")
    mc = keras.Model(inputs, head(always_on))
    plain = keras.Model(inputs, head(in_training_only))
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    samples = tfbsl.predict_proba_mc(mc, x, 4)
    assert np.abs(samples[1:] - samples[0]).max() > 0.01  # a new mask per pass
    np.testing.assert_allclose(tfbsl.predict_mc(plain, x, 3).samples[1:],
                               tfbsl.predict_mc(plain, x, 3).samples[:2], rtol=1e-6)


# Temperature scaling ---------------------------------------------------------

def test_fit_temperature_recovers_overconfidence_factor():
    rng = np.random.default_rng(0)
    n, k, c = 20_000, 5, 2.5
    logits = rng.normal(scale=1.5, size=(n, k))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    labels = (p.cumsum(1) > rng.uniform(size=(n, 1))).argmax(1)  # drawn from p
    t = B.fit_temperature(c * logits, labels)
    assert abs(t / c - 1) < 0.05
    scaler = B.TemperatureScaling().fit(c * logits, np.eye(k)[labels])
    assert scaler.temperature == pytest.approx(t)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaler(c * logits.astype("float32"))),
        keras.ops.convert_to_numpy(keras.ops.softmax(c * logits.astype("float32") / t)),
        rtol=1e-5, atol=1e-6)


def test_fit_temperature_warns_when_the_held_out_logits_are_separable():
    # Every true class ranked first: the NLL falls all the way to T -> 0.
    logits = np.array([[3.0, 0.0, 1.0], [0.0, 2.0, 1.0], [0.5, 0.0, 4.0]])
    with pytest.warns(UserWarning, match="separable"):
        t = B.fit_temperature(logits, np.array([0, 1, 2]))
    assert t == pytest.approx(np.exp(-12.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one mistake: a finite optimum, no warning
        assert B.fit_temperature(logits, np.array([0, 1, 0])) > 0.1


@pytest.mark.parametrize("logits, labels, match", [
    (np.zeros((4, 1)), np.zeros(4), "logits"),
    (np.zeros((4, 3)), np.array([0, 1, 3, 0]), "labels"),
    (np.full((2, 3), np.nan), np.zeros(2), "logits"),
    (np.zeros((4, 3)), np.zeros(3), "labels"),
])
def test_fit_temperature_rejects_bad_input(logits, labels, match):
    with pytest.raises(ValueError, match=match):
        B.fit_temperature(logits, labels)


def test_temperature_scaling_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature=-1"):
        B.TemperatureScaling(-1)


# Deep ensembles --------------------------------------------------------------

def _classifier():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def _regressor():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                             tfbsl.layers.IndependentNormal(1)])


X = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")


def test_deep_ensemble_classification_is_mean_of_members(tmp_path):
    ensemble = B.DeepEnsemble(build_fn=_classifier, num_members=3, seed=4)
    ensemble.compile(optimizer=keras.optimizers.Adam(0.01),
                     loss="sparse_categorical_crossentropy")
    y = (X[:, 0] > 0).astype("int32") + (X[:, 1] > 0).astype("int32")
    histories = ensemble.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert len(histories) == 3
    members = [keras.ops.convert_to_numpy(m(X)) for m in ensemble.members]
    assert not np.allclose(members[0], members[1])  # own seeds
    expected = np.mean(members, axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ensemble(X)), expected,
                               rtol=1e-5, atol=1e-6)
    path = os.path.join(tmp_path, "ensemble.keras")
    ensemble.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, B.DeepEnsemble) and loaded.num_members == 3
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-5, atol=1e-6)


def test_deep_ensemble_regression_mixture_moments(tmp_path):
    ensemble = B.DeepEnsemble([_regressor() for _ in range(4)])
    mixture = ensemble.predictive_distribution(X)
    assert isinstance(mixture, tfd.MixtureSameFamily)
    dists = [tfbsl.get_distribution(m(X)) for m in ensemble.members]
    means = np.stack([keras.ops.convert_to_numpy(d.mean()) for d in dists])
    variances = np.stack([keras.ops.convert_to_numpy(d.variance()) for d in dists])
    mean = means.mean(0)
    variance = variances.mean(0) + means.var(0)  # law of total variance
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixture.mean()), mean,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixture.variance()), variance,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ensemble(X)), mean,
                               rtol=1e-5, atol=1e-5)
    path = os.path.join(tmp_path, "ensemble.keras")
    ensemble.save(path)
    loaded = keras.saving.load_model(path)
    reloaded = loaded.predictive_distribution(X)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded.mean()), mean,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded.variance()), variance,
                               rtol=1e-4, atol=1e-5)


def test_deep_ensemble_rejects_bad_arguments():
    with pytest.raises(ValueError, match="members"):
        B.DeepEnsemble()
    with pytest.raises(ValueError, match="members"):
        B.DeepEnsemble([])
    with pytest.raises(TypeError, match=r"members\[0\]"):
        B.DeepEnsemble(["not a model"])
    with pytest.raises(ValueError, match="num_members=0"):
        B.DeepEnsemble(build_fn=_classifier, num_members=0)


# Last-layer Laplace ----------------------------------------------------------

def _blr_data(units):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = x @ rng.normal(size=(3, units)) + 0.5 + 0.3 * rng.normal(size=(50, units))
    return x, y


def _blr_posterior(phi, y, tau, var):
    precision = tau * np.eye(phi.shape[1]) + phi.T @ phi / var
    cov = np.linalg.inv(precision)
    return cov @ phi.T @ y / var, cov


def _log_evidence(phi, y, tau, var):
    # y[:, j] ~ N(0, var I + Phi Phi^T / tau), independently per unit.
    cov = var * np.eye(len(phi)) + phi @ phi.T / tau
    _, logdet = np.linalg.slogdet(cov)
    quad = np.sum(y * np.linalg.solve(cov, y), axis=0)
    return float(np.sum(-0.5 * (len(phi) * np.log(2 * np.pi) + logdet + quad)))


@pytest.mark.parametrize("body", ["identity", "tanh"])
def test_last_layer_laplace_is_exact_bayesian_linear_regression(body):
    x, y = _blr_data(2)
    layers = [keras.Input((3,))]
    if body == "tanh":
        layers.append(keras.layers.Dense(5, activation="tanh"))
    model = keras.Sequential(layers + [keras.layers.Dense(2)])
    phi = x.astype(np.float64) if body == "identity" else \
        keras.ops.convert_to_numpy(model.layers[0](x)).astype(np.float64)
    phi = np.concatenate([phi, np.ones((len(phi), 1))], axis=1)
    tau, var = 0.7, 0.09
    la = B.LastLayerLaplace(model, noise_variance=var, prior_precision=tau).fit(x, y)
    mean, cov = _blr_posterior(phi, y, tau, var)
    np.testing.assert_allclose(la.posterior_mean, mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(la.posterior_covariance, cov, rtol=1e-5, atol=1e-5)
    pred_mean, pred_var = la.predict(x[:7])
    np.testing.assert_allclose(pred_mean, phi[:7] @ mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        pred_var, np.repeat(np.sum(phi[:7] @ cov * phi[:7], 1, keepdims=True) + var, 2, 1),
        rtol=1e-5, atol=1e-6)
    assert la.log_marginal_likelihood() == pytest.approx(_log_evidence(phi, y, tau, var),
                                                         rel=1e-8)
    diag = B.LastLayerLaplace(model, var, tau, hessian_structure="diag").fit(x, y)
    np.testing.assert_allclose(
        diag.posterior_covariance, 1 / (tau + np.sum(phi * phi, 0) / var), rtol=1e-6)
    np.testing.assert_allclose(diag.posterior_mean, mean, rtol=1e-5, atol=1e-5)
    map_mean = B.LastLayerLaplace(model, var, tau, refit_mean=False).fit(x, y).posterior_mean
    np.testing.assert_allclose(map_mean[:-1], keras.ops.convert_to_numpy(model.layers[-1].kernel))


def test_last_layer_laplace_optimises_prior_precision_to_evidence_maximum():
    x, y = _blr_data(1)
    y = y[:, 0]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    phi = np.concatenate([x.astype(np.float64), np.ones((len(x), 1))], axis=1)
    la = B.LastLayerLaplace(model, noise_variance=0.09).fit(x, y)
    tau = la.optimize_prior_precision()
    grid = np.exp(np.linspace(np.log(1e-4), np.log(1e4), 4001))
    best = grid[np.argmax([_log_evidence(phi, y[:, None], t, 0.09) for t in grid])]
    assert abs(np.log(tau / best)) < 2 * (np.log(grid[1]) - np.log(grid[0]))
    assert la.prior_precision == tau
    np.testing.assert_allclose(la.posterior_mean, _blr_posterior(phi, y[:, None], tau, 0.09)[0],
                               rtol=1e-5, atol=1e-5)


def test_last_layer_laplace_rejects_bad_arguments():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="noise_variance=0"):
        B.LastLayerLaplace(model, noise_variance=0)
    with pytest.raises(ValueError, match="hessian_structure='kron'"):
        B.LastLayerLaplace(model, hessian_structure="kron")
    with pytest.raises(TypeError, match="Dense"):
        B.LastLayerLaplace(keras.Sequential([keras.Input((3,)), keras.layers.Activation("relu")]))
    with pytest.raises(ValueError, match="fit"):
        B.LastLayerLaplace(model).predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="y"):
        B.LastLayerLaplace(model).fit(np.zeros((4, 3)), np.zeros((3, 1)))


# SWAG ------------------------------------------------------------------------

def test_swag_moments_and_deviations_match_numpy():
    rng = np.random.default_rng(3)
    thetas = rng.normal(size=(6, 5))
    swag = B.SWAG(max_rank=4)
    for theta in thetas:
        swag.update(theta)
    running_means = np.cumsum(thetas, 0) / np.arange(1, 7)[:, None]
    np.testing.assert_allclose(swag.mean, thetas.mean(0), rtol=1e-12)
    np.testing.assert_allclose(swag.variance, thetas.var(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(swag.deviations, (thetas - running_means)[-4:].T, rtol=1e-12)
    assert swag.num_collected == 6


def test_swag_sample_sets_model_weights_and_collects_during_fit():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    swag = B.SWAG(start_epoch=1, max_rank=3)
    model.fit(X, X[:, :2], epochs=4, batch_size=8, verbose=0, callbacks=[swag])
    assert swag.num_collected == 3 and swag.deviations.shape == (8, 3)
    mean, var, dev = swag.mean, swag.variance, swag.deviations
    theta = swag.sample(seed=5)
    rng = np.random.default_rng(5)
    expected = mean + np.sqrt(var / 2) * rng.normal(size=8) + dev @ rng.normal(size=3) / 2.0
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    flat = np.concatenate([np.ravel(keras.ops.convert_to_numpy(w))
                           for w in model.trainable_weights])
    np.testing.assert_allclose(flat, theta, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(swag.sample(seed=5), theta)


def test_swag_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_rank=0"):
        B.SWAG(max_rank=0)
    with pytest.raises(ValueError, match="start_epoch"):
        B.SWAG(start_epoch=-1)
    swag = B.SWAG()
    with pytest.raises(ValueError, match="collected"):
        swag.sample(seed=0)
    swag.update(np.zeros(3))
    with pytest.raises(ValueError, match="length 3"):
        swag.update(np.zeros(4))


# MC dropout ------------------------------------------------------------------

def _dropout_linear(rate):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dropout(rate, seed=1),
                              keras.layers.Dense(1)])
    model.layers[-1].kernel.assign(np.array([[1.0], [-2.0], [0.5], [1.5]], "float32"))
    return model


def test_mc_dropout_predict():
    x = np.random.default_rng(4).normal(size=(5, 4)).astype("float32")
    still = B.mc_dropout_predict(_dropout_linear(0.0), x, num_samples=3)
    assert still.shape == (3, 5, 1)
    np.testing.assert_array_equal(still[0], still[1])
    model = _dropout_linear(0.5)
    samples = B.mc_dropout_predict(model, x, num_samples=200, batch_size=3)
    assert samples.shape == (200, 5, 1) and not np.allclose(samples[0], samples[1])
    deterministic = keras.ops.convert_to_numpy(model(x, training=False))
    error = np.abs(samples.mean(0) - deterministic)
    assert np.all(error < 5 * samples.std(0) / np.sqrt(200) + 1e-6)
    with pytest.raises(ValueError, match="num_samples=0"):
        B.mc_dropout_predict(model, x, num_samples=0)
