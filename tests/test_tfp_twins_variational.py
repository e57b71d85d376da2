"""The `tfp.layers`-named variational layers compute what TFP's compute.

Each twin is compared with `tfp.layers` under `tf_keras` at the same weights
(copied across, in TFP's order: kernel loc, kernel untransformed scale, bias
loc): the deterministic outputs (a `*_posterior_tensor_fn` returning the
mean), the KL losses, and the moments of the random outputs. The per-part
attributes, TFP's defaults and user factories (variables through
`add_variable_fn`, trained by `fit`) are checked too.
"""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from tfbsl import layers as L

tfd = tfp.distributions
RNG = np.random.default_rng(0)

DENSE = ["DenseReparameterization", "DenseFlipout", "DenseLocalReparameterization"]
CONV = [f"Convolution{r}D{e}" for r in (1, 2, 3) for e in ("Reparameterization", "Flipout")]


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def posterior_mean(d):
    return d.mean()


def _pair(name, *args, **kwargs):
    """(tfbsl twin, TFP original) built on the same input, TFP's weights copied in."""
    shape = kwargs.pop("input_shape")
    ours = getattr(L, name)(*args, kernel_posterior_tensor_fn=posterior_mean, **kwargs)
    theirs = getattr(tfp.layers, name)(*args, kernel_posterior_tensor_fn=lambda d: d.mean(),
                                       **kwargs)
    x = RNG.normal(size=(4,) + shape).astype("float32")
    ours(x)
    theirs(x)
    for w_ours, w_theirs in zip(ours.weights[:3], theirs.weights, strict=True):
        assert w_ours.name.split("/")[-1] == w_theirs.name.split("/")[-1].split(":")[0]
        w_ours.assign(w_theirs.numpy())
    return ours, theirs, x


@pytest.mark.parametrize("name", DENSE + CONV)
def test_twin_matches_tfp_at_equal_weights(name):
    if name.startswith("Convolution"):
        rank = int(name[len("Convolution")])
        ours, theirs, x = _pair(name, 2, 3, padding="same", input_shape=(5,) * rank + (2,))
    else:
        ours, theirs, x = _pair(name, 3, activation="tanh", input_shape=(4,))
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    # One KL per part that has a prior (TFP's default: the kernel's), equal.
    np.testing.assert_allclose([float(v) for v in ours.losses],
                               [float(v) for v in theirs.losses], rtol=1e-5)


def test_signatures_follow_tfp():
    """TFP's positional order and defaults' meaning; tfbsl adds keywords only."""
    for name in DENSE + CONV:
        ours = list(inspect.signature(getattr(L, name).__init__).parameters)
        theirs = list(inspect.signature(getattr(tfp.layers, name).__init__).parameters)
        theirs = [p for p in theirs if p != "kwargs"]
        assert ours[:len(theirs)] == theirs, name


def test_defaults_are_tfps():
    layer = L.DenseFlipout(3)
    layer.build((None, 4))
    q = layer.kernel_posterior
    assert isinstance(q, tfd.Independent) and isinstance(q.distribution, tfd.Normal)
    scale = tf.convert_to_tensor(q.distribution.scale).numpy()
    # softplus(N(-3, 0.1²)): 0.049 give or take a few percent.
    assert 0.040 < scale.min() and scale.max() < 0.060
    loc = q.distribution.loc.numpy()
    assert 0.05 < loc.std() < 0.2  # N(0, 0.1²)
    assert isinstance(layer.bias_posterior.distribution, tfd.Deterministic)
    assert layer.bias_prior is None
    assert isinstance(layer.kernel_prior.distribution, tfd.Normal)
    layer(np.ones((2, 4), "float32"))
    assert len(layer.losses) == 1  # the kernel's KL only


@pytest.mark.parametrize("name", DENSE)
def test_sampled_outputs_have_the_posterior_moments(name):
    """Mean x @ loc + b and variance x² @ scale² over 1000 calls on one
    example, each a fresh draw (4.5 standard-error bounds)."""
    layer = getattr(L, name)(
        2, seed=3, kernel_posterior_fn=L.default_mean_field_normal_fn(
            untransformed_scale_initializer=keras.initializers.Constant(0.0)))
    x = RNG.normal(size=(1, 3)).astype("float32")
    layer(x)
    draw = tf.function(lambda: layer(x))
    out = np.concatenate([np.asarray(draw()) for _ in range(1000)])
    q = layer.kernel_posterior.distribution
    loc, scale = q.loc.numpy(), tf.convert_to_tensor(q.scale).numpy()
    bias = layer.bias_posterior.distribution.loc.numpy()
    mean = x[0] @ loc + bias
    sd = np.sqrt(x[0] ** 2 @ scale**2)
    n = len(out)
    np.testing.assert_array_less(np.abs(out.mean(0) - mean), 4.5 * sd / np.sqrt(n))
    np.testing.assert_array_less(np.abs(out.std(0) / sd - 1), 4.5 / np.sqrt(2 * n))


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def learned_prior(dtype, shape, name, trainable, add_variable_fn):
    """A trainable prior mean, made through `add_variable_fn` as TFP's users do."""
    loc = add_variable_fn(name=name + "_loc", shape=shape, initializer="zeros",
                          dtype=dtype, trainable=trainable)
    return tfd.Independent(tfd.Normal(loc, 1.0), reinterpreted_batch_ndims=len(shape))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["DenseFlipout", "Convolution2DReparameterization"])
def test_user_factory_variables_are_tracked_trained_and_saved(name, tmp_path):
    if name == "DenseFlipout":
        layer, shape = L.DenseFlipout(2, kernel_prior_fn=learned_prior, seed=1), (4,)
    else:
        layer = L.Convolution2DReparameterization(2, 3, kernel_prior_fn=learned_prior, seed=1)
        shape = (5, 5, 1)
    model = keras.Sequential([keras.Input(shape), layer, keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    names = [w.name for w in layer.trainable_weights]
    assert "kernel_prior_loc" in names
    x = RNG.normal(size=(32,) + shape).astype("float32")
    before = layer.kernel_prior.distribution.loc.numpy().copy()
    scale_before = tf.convert_to_tensor(layer.kernel_posterior.distribution.scale).numpy().copy()
    model.compile(keras.optimizers.Adam(0.05), "mse", jit_compile=True)
    model.fit(x, RNG.normal(size=(32, 1)), epochs=3, verbose=0)
    assert np.abs(layer.kernel_prior.distribution.loc.numpy() - before).max() > 1e-3
    scale_after = tf.convert_to_tensor(layer.kernel_posterior.distribution.scale).numpy()
    assert np.abs(scale_after - scale_before).max() > 1e-4  # a program reading it sees it move
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.layers[0].kernel_prior.distribution.loc.numpy(),
                               layer.kernel_prior.distribution.loc.numpy())


def test_no_bias_and_bias_prior_as_tfp():
    layer = L.DenseReparameterization(2, bias_posterior_fn=None)
    layer(np.ones((1, 3), "float32"))
    assert layer.bias_posterior is None and [w.name for w in layer.weights][:2] == [
        "kernel_posterior_loc", "kernel_posterior_untransformed_scale"]
    both = L.DenseReparameterization(
        2, bias_posterior_fn=L.default_mean_field_normal_fn(),
        bias_prior_fn=L.default_multivariate_normal_fn)
    both(np.ones((1, 3), "float32"))
    assert len(both.losses) == 2


def test_kl_weight_scales_every_divergence():
    a = L.DenseFlipout(2, seed=0)
    a(np.ones((1, 3), "float32"))
    b = L.DenseFlipout(2, seed=0, kl_weight=0.25)
    b(np.ones((1, 3), "float32"))
    for wa, wb in zip(a.weights[:3], b.weights[:3], strict=True):
        wb.assign(wa)
    b(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(float(b.losses[0]), 0.25 * float(a.losses[0]), rtol=1e-6)


@pytest.mark.slow
def test_tfp_tutorial_style_mlp_trains_as_tfps():
    """The same MLP, same settings, ported and original: held-out MSE within noise."""
    n = 256
    x = RNG.uniform(-2, 2, size=(2 * n, 1)).astype("float32")
    y = (np.sin(2 * x) + 0.1 * RNG.normal(size=x.shape)).astype("float32")

    def kl(q, p, _):
        return tfd.kl_divergence(q, p) / n

    results = {}
    for lib, mk in (("tfbsl", keras), ("tfp", tf_keras)):
        layers = L if lib == "tfbsl" else tfp.layers
        mses = []
        for seed in range(2):
            tf.random.set_seed(seed)
            keras.utils.set_random_seed(seed)
            model = mk.Sequential([
                mk.Input((1,)),
                layers.DenseFlipout(32, activation="tanh", kernel_divergence_fn=kl),
                layers.DenseFlipout(1, kernel_divergence_fn=kl),
            ])
            model.compile(mk.optimizers.Adam(0.02), "mse")
            model.fit(x[:n], y[:n], epochs=60, batch_size=32, verbose=0)
            pred = np.mean([model(x[n:]) for _ in range(10)], axis=0)
            mses.append(float(np.mean((pred - y[n:]) ** 2)))
        results[lib] = np.mean(mses)
    assert results["tfbsl"] < 0.1 and results["tfp"] < 0.1, results
    assert abs(results["tfbsl"] - results["tfp"]) < 0.05, results


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def raw_variable_prior(dtype, shape, name, trainable, add_variable_fn):
    """A prior holding a `tf.Variable` it made itself, as older TFP code does."""
    loc = tf.Variable(tf.zeros(shape, dtype), name=name + "_raw_loc")
    return tfd.Independent(tfd.Normal(loc, 1.0), reinterpreted_batch_ndims=len(shape))


@pytest.mark.slow
def test_a_factorys_own_tf_variables_are_tracked_trained_and_saved(tmp_path):
    layer = L.DenseFlipout(2, kernel_prior_fn=raw_variable_prior, seed=1)
    model = keras.Sequential([keras.Input((3,)), layer])
    assert any("raw_loc" in w.name for w in layer.trainable_weights)
    x = RNG.normal(size=(32, 3)).astype("float32")
    model.compile(keras.optimizers.Adam(0.1), "mse", jit_compile=True)
    model.fit(x, RNG.normal(size=(32, 2)), epochs=3, verbose=0)
    trained = layer.kernel_prior.distribution.loc.numpy()
    assert np.abs(trained).max() > 1e-3
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.layers[0].kernel_prior.distribution.loc.numpy(), trained)
