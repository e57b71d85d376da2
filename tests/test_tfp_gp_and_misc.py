"""`VariationalGaussianProcess`, `BlockwiseInitializer` and `WeightNorm`
against TFP's `tfp.layers` twins (on `tf_keras`, the baseline): equal
distributions, losses, values and outputs for copied weights; training under
Keras 3 (`fit`, jit-compiled); `.keras` round trips without `custom_objects`.
The refused arguments are rows of `tests/bad_inputs/tfp_twins.py`."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras
from tensorflow_probability.python.layers import weight_norm as tfp_weight_norm

from tests._kernels import RBFKernelFn, TfKerasRBFKernelFn
from tfbsl.heads.gaussian_process import VariationalGaussianProcess
from tfbsl.layers.initializers import BlockwiseInitializer
from tfbsl.layers.weight_norm import WeightNorm

tfd, tfpl = tfp.distributions, tfp.layers


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def linear_mean(x):
    return 0.5 * x[..., 0]


def _short_name(variable):
    """`inducing_index_points` from a Keras 3 or a `tf_keras` variable."""
    return variable.name.split("/")[-1].split(":")[0]


# --- VariationalGaussianProcess ---------------------------------------------

M = 6  # inducing points


def _vgp_pair(event_size, mean_fn=None, noise=True):
    """TFP's layer and ours, built on the same inputs, with equal random weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 2)).astype("float32")
    noise_init = {} if noise else {
        "unconstrained_observation_noise_variance_initializer": None}
    theirs = tfpl.VariationalGaussianProcess(
        M, TfKerasRBFKernelFn(), event_shape=[event_size], mean_fn=mean_fn, **noise_init)
    ours = VariationalGaussianProcess(
        M, RBFKernelFn(), event_shape=[event_size], mean_fn=mean_fn, **noise_init)
    theirs(x)
    ours(x)
    theirs_by_name = {_short_name(v): v for v in theirs.weights}
    assert sorted(theirs_by_name) == sorted(_short_name(v) for v in ours.weights)
    for v in ours.weights:
        value = rng.normal(scale=0.3, size=v.shape).astype("float32")
        if _short_name(v) == "variational_inducing_observations_scale":
            value = np.tril(value) + np.eye(M, dtype="float32")
        v.assign(value)
        theirs_by_name[_short_name(v)].assign(value)
    return theirs, ours, x, rng.normal(size=(7, event_size)).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("event_size,mean_fn,noise", [(2, None, True), (1, linear_mean, False)])
def test_vgp_distribution_and_loss_equal_tfps(event_size, mean_fn, noise):
    theirs, ours, x, y = _vgp_pair(event_size, mean_fn, noise)
    d_theirs, out = theirs(x), ours(x)
    d_ours = out.distribution
    assert isinstance(d_ours.distribution.distribution, tfd.VariationalGaussianProcess)
    assert d_ours.event_shape == d_theirs.event_shape == (7, event_size)
    assert out.shape == (7, event_size)
    for method in ("mean", "stddev"):
        np.testing.assert_allclose(getattr(out, method)(), getattr(d_theirs, method)(),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.log_prob(y), d_theirs.log_prob(y), rtol=1e-5)
    for kl_weight in (1.0, np.float64(0.25)):  # the tutorial's weight is float64
        loss = out.variational_loss(y, kl_weight=kl_weight)
        np.testing.assert_allclose(loss, d_theirs.variational_loss(y, kl_weight=kl_weight),
                                   rtol=1e-5)
        # Without a noise variable the noise variance is 0, and TFP's loss is NaN.
        assert np.all(np.isfinite(loss)) == noise
    np.testing.assert_allclose(out.surrogate_posterior_kl_divergence_prior(),
                               d_theirs.surrogate_posterior_kl_divergence_prior(), rtol=1e-5)


def test_vgp_defaults_are_tfps():
    theirs, ours = (tfpl.VariationalGaussianProcess(M, TfKerasRBFKernelFn()),
                    VariationalGaussianProcess(M, RBFKernelFn()))
    x = np.zeros((3, 1), "float32")
    theirs(x)
    out = ours(x)
    theirs_by_name = {_short_name(v): v for v in theirs.weights}
    for v in ours.weights:  # all but the (random) inducing index points
        if _short_name(v) != "inducing_index_points":
            np.testing.assert_array_equal(v.numpy(), theirs_by_name[_short_name(v)].numpy(),
                                          err_msg=v.path)
    assert ours.event_shape == (1,) and ours.jitter == 1e-6
    assert ours.convert_to_tensor_fn == "sample"  # a draw, as TFP's default
    assert out.shape == (3, 1) and out.dtype == "float32"


def test_vgp_kernel_provider_variables_are_tracked_and_get_gradients():
    provider = RBFKernelFn()
    layer = VariationalGaussianProcess(M, provider, convert_to_tensor_fn="mean")
    x = np.linspace(-1, 1, 8, dtype="float32")[:, None]
    layer(x)
    assert {id(v) for v in provider.trainable_weights} <= {
        id(v) for v in layer.trainable_weights}
    with tf.GradientTape() as tape:
        loss = layer(x).variational_loss(np.sin(3 * x), kl_weight=0.5)
    grads = tape.gradient(loss, provider.trainable_weights)
    assert all(g is not None and abs(float(g)) > 0 for g in grads), grads


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(256, 1)).astype("float32")
    y = (np.sin(2 * x) + 0.2 * rng.normal(size=x.shape)).astype("float32")
    return (x[:192], y[:192]), (x[192:], y[192:])


@pytest.mark.slow
def test_vgp_regression_fit_jit_beats_constant_baseline():
    (x, y), (x_test, y_test) = _regression_data()
    batch_size = 32
    provider = RBFKernelFn()
    model = keras.Sequential([
        keras.Input((1,)),
        VariationalGaussianProcess(
            10, provider,
            inducing_index_points_initializer=keras.initializers.Constant(
                np.linspace(-3, 3, 10)[:, None]),
            unconstrained_observation_noise_variance_initializer=(
                tf.constant_initializer(0.54)), seed=1),
    ])
    model.compile(keras.optimizers.Adam(0.05), jit_compile=True, loss=lambda y, rv_y: (
        rv_y.variational_loss(y, kl_weight=np.array(batch_size, "float64") / len(x))))
    before = [v.numpy().copy() for v in provider.weights]
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(192, seed=0).repeat()
    model.fit(data.batch(batch_size, drop_remainder=True), steps_per_epoch=150, shuffle=False,
              verbose=0)
    assert all(not np.allclose(a, v.numpy()) for a, v in zip(before, provider.weights, strict=True))

    out = model(x_test)
    nll = -np.mean(tfd.Normal(out.mean(), out.stddev()).log_prob(y_test))
    baseline = -np.mean(tfd.Normal(y.mean(), y.std()).log_prob(y_test))
    assert nll < baseline - 0.5, (nll, baseline)


@pytest.mark.slow
def test_vgp_keras_round_trip(tmp_path):
    x = np.linspace(-1, 1, 8, dtype="float32")[:, None]
    model = keras.Sequential([keras.Input((1,)), VariationalGaussianProcess(
        M, RBFKernelFn(), mean_fn=linear_mean,
        inducing_index_points_initializer=tf.constant_initializer(np.linspace(-1, 1, M)[:, None]),
        convert_to_tensor_fn=tfd.Distribution.mean)])
    rng = np.random.default_rng(0)
    for v in model.weights:  # away from the initial values
        v.assign(v.numpy() + rng.normal(scale=0.1, size=v.shape).astype("float32"))
    model.save(tmp_path / "vgp.keras")
    loaded = keras.saving.load_model(tmp_path / "vgp.keras")
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    np.testing.assert_allclose(loaded(x).stddev(), model(x).stddev(), rtol=1e-6)
    assert type(loaded.layers[0].kernel_provider) is RBFKernelFn
    assert loaded.layers[0].convert_to_tensor_fn == "mean"


# --- BlockwiseInitializer ---------------------------------------------------

@pytest.mark.parametrize("shape", [(6,), (4, 6), (2, 3, 6)])
def test_blockwise_values_equal_tfps(shape):
    theirs = tfpl.BlockwiseInitializer(
        ["zeros", "ones", tf_keras.initializers.Constant(0.5)], sizes=[2, 1, 3])
    ours = BlockwiseInitializer(["zeros", "ones", keras.initializers.Constant(0.5)], [2, 1, 3])
    np.testing.assert_array_equal(ours(shape), theirs(shape))
    assert ours(shape, dtype="float64").dtype == "float64"


def test_blockwise_random_blocks_have_their_shapes_and_laws():
    init = BlockwiseInitializer([keras.initializers.RandomNormal(3.0, seed=1), "zeros"],
                                sizes=np.array([500, 2]))
    values = keras.ops.convert_to_numpy(init((8, 502)))
    assert values.shape == (8, 502)
    assert abs(values[:, :500].mean() - 3.0) < 0.05 and not values[:, 500:].any()


def test_blockwise_config_round_trip_and_model_save(tmp_path):
    init = BlockwiseInitializer(["zeros", keras.initializers.Constant(2.0)], [1, 2],
                                validate_args=True)
    config = keras.initializers.serialize(init)
    again = keras.initializers.deserialize(config)  # no custom_objects
    assert type(again) is BlockwiseInitializer and again.get_config() == init.get_config()
    np.testing.assert_array_equal(again((2, 3)), init((2, 3)))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, kernel_initializer=init)])
    np.testing.assert_array_equal(model.layers[0].kernel, [[0, 2, 2], [0, 2, 2]])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0].kernel_initializer) is BlockwiseInitializer


# --- WeightNorm -------------------------------------------------------------

def _wrapped_pair(kind, data_init=True, **kwargs):
    """TFP's wrapper and ours around the same layer, built, with equal `v`."""
    make = {"dense": lambda k: k.layers.Dense(4, activation="relu", **kwargs),
            "conv": lambda k: k.layers.Conv2D(3, 2, activation="tanh", **kwargs),
            "conv_transpose": lambda k: k.layers.Conv2DTranspose(3, 2, **kwargs)}[kind]
    shape = (16, 3) if kind == "dense" else (16, 5, 5, 2)
    theirs = tfp_weight_norm.WeightNorm(make(tf_keras), data_init=data_init)
    ours = WeightNorm(make(keras), data_init=data_init)
    theirs.build(shape)
    ours.build(shape)
    rng = np.random.default_rng(0)
    ours.v.assign(rng.normal(size=ours.v.shape).astype("float32"))
    theirs.v.assign(ours.v.numpy())
    x = (rng.normal(size=shape) + 0.5).astype("float32")
    return theirs, ours, x


@pytest.mark.parametrize("kind", ["dense", "conv", "conv_transpose"])
@pytest.mark.parametrize("data_init", [True, False])
def test_weight_norm_equals_tfps(kind, data_init):
    theirs, ours, x = _wrapped_pair(kind, data_init)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)  # initializes
    np.testing.assert_allclose(ours.g.numpy(), theirs.g.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.layer.bias.numpy(), theirs.layer.bias.numpy(), atol=1e-5)
    assert ours.initialized.numpy() and theirs.initialized.numpy()
    x2 = 2 * x - 1
    np.testing.assert_allclose(ours(x2), theirs(x2), rtol=1e-5, atol=1e-5)  # no re-init
    variables = lambda w: [w.v, w.g, w.layer.bias]  # noqa: E731
    grads = []
    for wrapper in (ours, theirs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(wrapper(x2)))
        grads.append(tape.gradient(loss, variables(wrapper)))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 3


def test_weight_norm_data_init_standardizes_first_batch_pre_activations():
    _, ours, x = _wrapped_pair("dense")
    ours(x)
    pre = x @ keras.ops.convert_to_numpy(ours._kernel()) + ours.layer.bias.numpy()
    np.testing.assert_allclose(pre.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(pre.std(0), 1, rtol=1e-4)


@pytest.mark.parametrize("layer,shape", [
    (lambda: keras.layers.Conv1D(3, 2), (6, 5, 2)),
    (lambda: keras.layers.Conv3DTranspose(3, 2), (6, 3, 3, 3, 2))])
def test_weight_norm_data_init_standardizes_other_convolutions(layer, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    out = keras.ops.convert_to_numpy(WeightNorm(layer())(x))
    axes = tuple(range(out.ndim - 1))
    np.testing.assert_allclose(out.mean(axes), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axes), 1, rtol=1e-4)


def test_weight_norm_without_data_init_starts_as_the_layer():
    dense = keras.layers.Dense(4, bias_initializer="ones")
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    wrapper = WeightNorm(dense, data_init=False)
    wrapper.build(x.shape)
    before = dense(x)
    np.testing.assert_allclose(wrapper(x), before, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("jit_compile", [False, True])
def test_weight_norm_initializes_once_in_fit(jit_compile):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32") + 1
    y = rng.normal(size=(16, 1)).astype("float32")
    wrapper = WeightNorm(keras.layers.Dense(4, kernel_initializer="ones"))
    model = keras.Sequential([keras.Input((3,)), wrapper, keras.layers.Dense(1)])
    assert not wrapper.initialized.numpy()  # not by the symbolic build
    model.compile(keras.optimizers.SGD(0.0), "mse", jit_compile=jit_compile)
    model.fit(x, y, batch_size=4, shuffle=False, epochs=2, verbose=0)
    assert wrapper.initialized.numpy()
    pre = x[:4] @ np.ones((3, 4)) / np.sqrt(3)  # the first batch, kernel v / ||v||
    np.testing.assert_allclose(wrapper.g.numpy(), 1 / pre.std(0), rtol=1e-4)
    np.testing.assert_allclose(wrapper.layer.bias.numpy(), -pre.mean(0) / pre.std(0),
                               rtol=1e-4)


def test_weight_norm_keeps_activity_losses():
    wrapper = WeightNorm(keras.layers.Dense(2, activity_regularizer="l2"))
    wrapper(np.random.default_rng(0).normal(size=(3, 2)).astype("float32"))
    assert len(wrapper.losses) == 1 and float(wrapper.losses[0]) > 0


@pytest.mark.slow
def test_weight_norm_keras_round_trip(tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 6, 6, 2)).astype("float32")
    model = keras.Sequential([
        keras.Input((6, 6, 2)), WeightNorm(keras.layers.Conv2D(3, 3, activation="relu")),
        keras.layers.Flatten(), WeightNorm(keras.layers.Dense(2), data_init=False)])
    model(x)  # initializes
    model.save(tmp_path / "wn.keras")
    loaded = keras.saving.load_model(tmp_path / "wn.keras")
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    x2 = x + 3  # a reloaded model is not initialized again
    np.testing.assert_allclose(loaded(x2), model(x2), rtol=1e-5, atol=1e-6)
    assert loaded.layers[0].data_init and not loaded.layers[2].data_init


# --- warnings (the refused arguments: tests/bad_inputs/tfp_twins.py) ------

def test_weight_norm_warns_for_untested_layers():
    with pytest.warns(UserWarning, match="tested only"):
        WeightNorm(keras.layers.EinsumDense("ab,bc->ac", 2))
