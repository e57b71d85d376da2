"""Variational layers off the walked paths: subclassed models, lazy builds,
custom loops, TFP-style divergence functions, integer inputs, big seeds,
wrong widths and numpy integers. Each test failed before its fix."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfbsl
from tfbsl import layers as L

tfd = tfp.distributions
RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = X.sum(-1, keepdims=True)


class UserModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__()
        self.hidden = L.DenseVariational(4, activation="relu", **kwargs)
        self.out = L.DenseVariational(1, **kwargs)

    def call(self, x):
        return self.out(self.hidden(x))


@pytest.mark.slow
@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("prior", [None, "scale_mixture"])
def test_subclassed_model_fits_and_predicts(prior, jit):
    # Was InaccessibleTensorError: the fixed prior's tensors were made once at
    # build, inside fit's graph, and reused in predict's.
    model = UserModel(prior=prior)
    model.compile("adam", "mse", jit_compile=jit)
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert np.all(np.isfinite(model.predict(X, verbose=0)))


@pytest.mark.slow
def test_sequential_without_input_builds_inside_fit():
    model = keras.Sequential([L.DenseVariational(4, activation="relu"), L.DenseVariational(1)])
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert np.all(np.isfinite(model.predict(X, verbose=0)))


def test_first_call_inside_a_tf_function():
    layer = L.DenseVariational(2, prior="scale_mixture")
    first = tf.function(lambda x: layer(x))(X)
    second = tf.function(lambda x: layer(x))(X)  # another graph, same layer
    assert first.shape == second.shape == (16, 2)
    assert np.isfinite(float(layer(X).numpy().sum()))


def _kl(q, p, _):
    return tfd.kl_divergence(q, p) / len(X)


@pytest.mark.slow
@pytest.mark.parametrize("jit", [False, True])
def test_divergence_fns_work_under_fit(jit):
    # Was OperatorNotAllowedInGraphError: a tensor in a Python `and` (`_split`).
    model = keras.Sequential([keras.Input((3,)),
                              L.DenseVariational(1, estimator="flipout",
                                                 kernel_divergence_fn=_kl,
                                                 bias_divergence_fn=_kl)])
    model.compile("adam", "mse", jit_compile=jit)
    history = model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    layer = model.layers[-1]
    q = layer.posterior(X).distribution
    p = layer.prior_model(X)
    expected = float(tfd.kl_divergence(q, p)) / len(X)
    layer(X)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)


@pytest.mark.parametrize("estimator", ["reparameterization", "flipout",
                                       "local_reparameterization"])
def test_integer_inputs_compute_in_float(estimator):
    # Reparameterization gave all-zero outputs (weights cast to int32);
    # Flipout and LRT failed with a TensorFlow dtype error.
    x_int = np.arange(12, dtype="int32").reshape(4, 3)
    layer = L.DenseVariational(2, estimator=estimator, seed=5)
    out_int = layer(x_int)
    assert out_int.dtype == tf.float32
    layer.seed_generator.state.assign([5, 0])
    out_int = layer(x_int).numpy()
    layer.seed_generator.state.assign([5, 0])
    out_float = layer(x_int.astype("float32")).numpy()
    np.testing.assert_array_equal(out_int, out_float)
    assert np.abs(out_int).max() > 0.1


def test_integer_input_in_a_functional_model():
    inputs = keras.Input((3,), dtype="int32")
    model = keras.Model(inputs, L.DenseVariational(1)(inputs))
    model.compile("adam", "mse")
    model.fit(X.astype("int32"), Y, epochs=1, verbose=0)
    assert np.abs(model.predict(X.astype("int32"), verbose=0)).max() > 0


def _noise_layer(seed):
    # Zero means and unit scales: the outputs are the noise alone.
    posterior = tfbsl.posteriors.MeanFieldNormal(init_scale=1.0, loc_initializer="zeros")
    return L.DenseVariational(4, make_posterior_fn=posterior, seed=seed)


@pytest.mark.parametrize("big", [2**32 + 11, 2**40 + 11, 2**62 + 11])
def test_seeds_above_32_bits_have_their_own_stream(big):
    x = np.ones((1, 3), "float32")
    small, large, again = _noise_layer(11)(x), _noise_layer(big)(x), _noise_layer(big)(x)
    assert not np.allclose(small, large)
    np.testing.assert_array_equal(large, again)


def test_seed_draws_below_32_bits_are_unchanged():
    # The 64-bit rule keeps a small seed's stream: the first int32 pair of
    # `SeedGenerator(7)` is still [7, 0].
    generator = keras.random.SeedGenerator(7)
    np.testing.assert_array_equal(tfbsl._random.tfp_seed(generator).numpy(), [7, 0])


def test_numpy_integer_seed_and_units_are_accepted():
    layer = L.DenseVariational(np.int64(4), seed=np.int64(3))
    assert layer.units == 4 and type(layer.units) is int and layer.seed == 3
    assert layer(X).shape == (16, 4)
    assert L.Conv2DVariational(np.int32(2), np.int64(3)).kernel_size == (3, 3)


def test_wrong_width_names_the_layer_and_widths():
    layer = L.DenseVariational(2, name="my_bayes")
    layer(X)
    with pytest.raises(ValueError,
                       match=r"my_bayes.*expected axis -1 of input shape to have value 3"):
        layer(np.zeros((2, 5), "float32"))


def test_factory_of_the_wrong_arity_says_the_signature():
    with pytest.raises(TypeError, match=r"make_prior_fn.*\(kernel_size, bias_size, dtype\)"):
        L.DenseVariational(2, make_prior_fn=lambda n: None)


def test_empty_batch_gives_empty_outputs_and_the_usual_kl():
    for estimator in ("reparameterization", "flipout", "local_reparameterization"):
        layer = L.DenseVariational(2, estimator=estimator)
        out = layer(np.zeros((0, 3), "float32"))
        assert out.shape == (0, 2)
        assert np.isfinite(float(layer.losses[0]))
    conv = L.Conv2DVariational(2, 3, estimator="flipout")
    assert conv(np.zeros((0, 5, 5, 1), "float32")).shape == (0, 3, 3, 2)
