import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.src import testing

from tests.conformance import check_model_conformance
from tfbsl.layers import (
    IndependentNormal,
    MultivariateNormalTriL,
    Sampling,
    VariableLayer,
)

tfd = tfp.distributions
RNG = np.random.default_rng(3)


def _pair(shape=(5, 3)):
    mu = RNG.normal(size=shape).astype("float32")
    log_var = RNG.normal(scale=0.5, size=shape).astype("float32")
    return mu, log_var


class SamplingLayerTest(testing.TestCase):
    def test_run_layer_test(self):
        self.run_layer_test(
            Sampling, init_kwargs={"kl_weight": 0.5, "seed": 1},
            input_data=_pair((4, 3)), expected_output_shape=(4, 3),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1,
            expected_num_seed_generators=1, expected_num_losses=1,
            supports_masking=False,
        )

    def test_run_layer_test_options(self):
        self.run_layer_test(
            Sampling,
            init_kwargs={"free_bits": 0.1, "inference_mode": "mean",
                         "kl_use_exact": False, "seed": 2},
            input_data=_pair((2, 4, 3)), expected_output_shape=(2, 4, 3),
            expected_num_non_trainable_weights=1,
            expected_num_seed_generators=1, expected_num_losses=1,
            supports_masking=False,
        )


def test_kl_matches_tfp_and_closed_form():
    mu, log_var = _pair()
    layer = Sampling(kl_weight=1.0, seed=0)
    layer([mu, log_var])
    expected = tfd.kl_divergence(
        tfd.Normal(mu, np.exp(log_var / 2)), tfd.Normal(0.0, 1.0)
    ).numpy().sum(-1).mean()
    closed = np.mean(-0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), -1))
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)
    np.testing.assert_allclose(expected, closed, rtol=1e-5)


def test_kl_weight_scales_the_loss_and_lives_in_a_variable():
    mu, log_var = _pair()
    full = Sampling(seed=0)
    full([mu, log_var])
    beta = Sampling(kl_weight=0.25, seed=0)
    beta([mu, log_var])
    np.testing.assert_allclose(float(beta.losses[0]), 0.25 * float(full.losses[0]), rtol=1e-6)
    assert not beta.kl_weight_variable.trainable
    beta.kl_weight_variable.assign(0.0)
    beta([mu, log_var])
    assert float(beta.losses[0]) == 0.0
    assert beta.get_config()["kl_weight"] == 0.25


def test_samples_have_the_posterior_moments():
    n = 20000
    mu = np.tile(np.array([[1.0, -2.0, 0.5]], "float32"), (n, 1))
    log_var = np.tile(np.array([[0.0, np.log(4.0), np.log(0.25)]], "float32"), (n, 1))
    z = np.asarray(Sampling(seed=7)([mu, log_var]))
    var = np.exp(log_var[0])
    # Mean within 5 standard errors; variance within 5 standard errors of s^2.
    assert np.all(np.abs(z.mean(0) - mu[0]) < 5 * np.sqrt(var / n))
    assert np.all(np.abs(z.var(0) - var) < 5 * var * np.sqrt(2 / n))
    again = np.asarray(Sampling(seed=7)([mu, log_var]))
    np.testing.assert_array_equal(z, again)


def test_gradients_reach_mean_and_log_variance():
    mu, log_var = (tf.Variable(a) for a in _pair())
    layer = Sampling(seed=0)
    with tf.GradientTape() as tape:
        z = layer([mu, log_var])
        loss = tf.reduce_sum(z**2) + layer.losses[0]
    g_mu, g_log_var = tape.gradient(loss, [mu, log_var])
    assert np.all(np.isfinite(g_mu)) and np.any(np.asarray(g_mu) != 0)
    assert np.all(np.isfinite(g_log_var)) and np.any(np.asarray(g_log_var) != 0)


def test_inference_mode_mean_returns_the_mean_at_inference():
    mu, log_var = _pair()
    layer = Sampling(inference_mode="mean", seed=0)
    np.testing.assert_allclose(layer([mu, log_var], training=False), mu, rtol=1e-6)
    assert not np.allclose(layer([mu, log_var], training=True), mu)
    assert len(layer.losses) == 1


def test_free_bits_floor_per_dimension():
    mu = np.zeros((8, 3), "float32")
    mu[:, 0] = 2.0  # KL 2 nats in dimension 0, 0 in the others
    log_var = np.zeros((8, 3), "float32")
    layer = Sampling(free_bits=0.5, seed=0)
    layer([mu, log_var])
    np.testing.assert_allclose(float(layer.losses[0]), 2.0 + 0.5 + 0.5, rtol=1e-6)


def test_distribution_head_kl_is_analytic_against_the_standard_normal():
    params = RNG.normal(size=(6, 4)).astype("float32")
    head = IndependentNormal(2)(params)
    layer = Sampling(kl_use_exact=True, seed=0)
    layer(head)
    expected = tfd.kl_divergence(
        head.distribution,
        tfd.Independent(tfd.Normal(tf.zeros(2), 1.0), 1)).numpy().mean()
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)


@pytest.mark.slow
def test_conformance_pair_and_distribution_head_with_trainable_prior(tmp_path):
    # One model, both call styles: one jit-compiled fit + .keras round trip.
    x = RNG.normal(size=(64, 5)).astype("float32")
    inputs = keras.Input((5,))
    z_pair = Sampling(kl_weight=0.1, seed=5, name="pair")(
        [keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)])
    head = MultivariateNormalTriL(2)(
        keras.layers.Dense(MultivariateNormalTriL.params_size(2))(inputs))
    prior = keras.Sequential([VariableLayer((1, 4)), IndependentNormal(2)])
    # MVN-TriL against an Independent Normal has no analytic KL: MC is used.
    z_head = Sampling(prior=prior, seed=3, name="head")(head)
    outputs = keras.layers.Dense(5)(keras.layers.Concatenate()([z_pair, z_head]))
    loaded = check_model_conformance(keras.Model(inputs, outputs), x, x, tmp_path=tmp_path)
    pair = loaded.get_layer("pair")
    assert pair.kl_weight == 0.1 and pair.seed == 5
    assert any("variable_layer" in w.path for w in loaded.trainable_weights)
    assert len(loaded.losses) == 2


def test_sequential_model():
    model = keras.Sequential([
        keras.layers.Dense(IndependentNormal.params_size(2)),
        IndependentNormal(2), Sampling(seed=0), keras.layers.Dense(3),
    ])
    out = model(RNG.normal(size=(4, 3)).astype("float32"))
    assert out.shape == (4, 3) and len(model.losses) == 1


@pytest.mark.parametrize("make_call,match", [
    (lambda: Sampling()([np.zeros((2, 3), "float32"), np.zeros((2, 2), "float32")]),
     r"z_mean.*z_log_var.*same shape.*\(2, 3\).*\(2, 2\)"),
    (lambda: Sampling()(np.zeros((2, 3), "float32")),
     r"pair `\[z_mean, z_log_var\]`.*Received: a single .*\(2, 3\)"),
    (lambda: Sampling()([np.zeros((2, 3), "float32")] * 3), r"pair"),
    (lambda: Sampling(kl_weight=-1.0),
     r"`kl_weight` must be a finite number >= 0. Received: kl_weight=-1.0"),
    (lambda: Sampling(free_bits=float("nan")), r"free_bits"),
    (lambda: Sampling(inference_mode="median"), r"inference_mode.*median"),
    (lambda: Sampling(prior=tfd.Normal(0.0, 1.0)), r"`prior` must be None .*Keras layer"),
    (lambda: Sampling(kl_use_exact="yes"), r"kl_use_exact"),
])
def test_bad_input_is_a_value_error(make_call, match):
    with pytest.raises(ValueError, match=match):
        make_call()


def test_non_finite_log_variance_raises_eagerly():
    mu, log_var = _pair()
    log_var[1, 2] = np.nan
    with pytest.raises(ValueError, match="`z_log_var` must be finite"):
        Sampling()([mu, log_var])


def test_monte_carlo_kl_is_unbiased():
    n = 20000
    mu = np.tile(np.array([[0.5, -1.0]], "float32"), (n, 1))
    log_var = np.tile(np.array([[-1.0, 0.5]], "float32"), (n, 1))
    mc, exact = Sampling(kl_use_exact=False, seed=1), Sampling(seed=1)
    mc([mu, log_var])
    exact([mu, log_var])
    np.testing.assert_allclose(float(mc.losses[0]), float(exact.losses[0]), rtol=0.03)


def test_free_bits_floor_on_the_total_when_q_does_not_factorise():
    params = np.zeros((4, MultivariateNormalTriL.params_size(3)), "float32")
    layer = Sampling(free_bits=2.0, seed=0)
    layer(MultivariateNormalTriL(3)(params))
    np.testing.assert_allclose(float(layer.losses[0]), 2.0 * 3, rtol=1e-6)


def test_exact_kl_requested_but_unknown_is_a_value_error():
    params = RNG.normal(size=(4, MultivariateNormalTriL.params_size(2))).astype("float32")
    prior = keras.Sequential([VariableLayer((1, 4)), IndependentNormal(2)])
    with pytest.raises(ValueError, match="kl_use_exact=True"):
        Sampling(prior=prior, kl_use_exact=True)(MultivariateNormalTriL(2)(params))
