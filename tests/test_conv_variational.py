import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

import tfbsl
from tests.conformance import check_model_conformance, reset_seeds
from tfbsl.layers import (
    Conv1DVariational,
    Conv2DTransposeVariational,
    Conv2DVariational,
    Conv3DVariational,
    Convolution1DFlipout,
    Convolution2DFlipout,
    Convolution2DLocalReparameterization,
    Convolution2DReparameterization,
)

ESTIMATORS = ["reparameterization", "flipout", "local_reparameterization"]
# TensorFlow's CPU kernels run 1-D/2-D convolutions (and their gradients)
# channels_last only ("The Conv2D op currently only supports the NHWC tensor
# format on the CPU"), as for keras.layers.Conv2D; under XLA both formats run.
# So channels_first is checked jit-compiled (conformance and moments below),
# and by run_layer_test only where Keras' ops run it eagerly (3-D, via XLA).
CASES = [
    # (class, kwargs, input shape, output shape)
    (Conv1DVariational, {"filters": 3, "kernel_size": 2, "estimator": "flipout"},
     (2, 6, 4), (2, 5, 3)),
    (Conv1DVariational, {"filters": 2, "kernel_size": 3, "padding": "causal",
                         "dilation_rate": 2}, (2, 6, 4), (2, 6, 2)),
    (Conv2DVariational, {"filters": 3, "kernel_size": 3, "padding": "same",
                         "estimator": "local_reparameterization"}, (2, 5, 5, 2), (2, 5, 5, 3)),
    (Conv2DVariational, {"filters": 4, "kernel_size": (3, 2), "strides": 2,
                         "groups": 2, "estimator": "flipout"}, (2, 7, 7, 2), (2, 3, 3, 4)),
    (Conv3DVariational, {"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 1), (2, 2, 2, 2, 2)),
    (Conv3DVariational, {"filters": 2, "kernel_size": 2, "data_format": "channels_first",
                         "estimator": "flipout"}, (2, 1, 3, 3, 3), (2, 2, 2, 2, 2)),
    (Conv2DTransposeVariational, {"filters": 2, "kernel_size": 3, "strides": 2,
                                  "padding": "same", "estimator": "flipout"},
     (2, 3, 3, 2), (2, 6, 6, 2)),
    (Conv2DVariational, {"filters": 2, "kernel_size": 3, "prior": "scale_mixture",
                         "estimator": "flipout"}, (2, 4, 4, 1), (2, 2, 2, 2)),
]


class ConvVariationalLayerTest(testing.TestCase):
    @pytest.mark.slow
    def test_run_layer_test(self):
        for cls, kwargs, input_shape, output_shape in CASES:
            self.run_layer_test(
                cls, init_kwargs={**kwargs, "seed": 1}, input_shape=input_shape,
                expected_output_shape=output_shape,
                expected_num_trainable_weights=2,      # posterior loc and rho
                expected_num_non_trainable_weights=1,  # the KL weight
                expected_num_seed_generators=1, expected_num_losses=1,
                # One mixed-precision pass is enough (the 2-D flipout case).
                run_mixed_precision_check=kwargs.get("prior") == "scale_mixture",
            )


def _digits_like(n=32, shape=(6, 6, 2), seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n,) + shape).astype("float32")


@pytest.mark.slow
def test_conformance_cnn_every_estimator_and_named_variants(tmp_path):
    n = 32
    x = _digits_like(n)
    y = keras.utils.to_categorical(np.arange(n) % 3, 3)
    model = keras.Sequential([
        keras.Input(x.shape[1:]),
        Conv2DVariational(4, 3, padding="same", activation="relu", estimator="flipout",
                          kl_weight=1 / n, seed=1),
        Convolution2DLocalReparameterization(4, 3, activation="relu", kl_weight=1 / n, seed=2),
        Conv2DTransposeVariational(2, 2, strides=2, kl_weight=1 / n, seed=3),
        keras.layers.Flatten(),
        tfbsl.layers.DenseFlipout(3, kl_weight=1 / n, seed=5),
        tfbsl.layers.OneHotCategorical(3, convert_to_tensor_fn="mean"),
    ])
    check_model_conformance(model, x, y, loss="categorical_crossentropy", tmp_path=tmp_path)


@pytest.mark.slow
def test_conformance_1d_and_channels_first_jit_compiled(tmp_path):
    x = _digits_like(16, (9, 6))
    inputs = keras.Input(x.shape[1:])
    h = Convolution1DFlipout(3, 2, kl_weight=0.1, seed=2)(inputs)              # (8, 3)
    h = keras.layers.Reshape((3, 2, 4))(h)                                     # channels_first
    h = Convolution2DReparameterization(2, 1, data_format="channels_first", seed=3)(h)
    model = keras.Model(inputs, h)
    y = np.zeros((16, 2, 2, 4), "float32")
    # Eager channels_first 2-D convolutions do not run on CPU: compare the
    # outputs of jit-compiled calls (fit itself is jit-compiled).
    model.compile("adam", "mse", jit_compile=True)
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "cf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    reset_seeds(model)
    reset_seeds(loaded)
    out = [tf.function(m, jit_compile=True)(x) for m in (model, loaded)]
    np.testing.assert_allclose(np.asarray(out[0]), np.asarray(out[1]), rtol=1e-5, atol=1e-6)


def _layer_with_posterior(loc, scale, x_shape, **kwargs):
    layer = Conv2DVariational(seed=7, **kwargs)
    layer.build(x_shape)
    layer.posterior.loc.assign(loc)
    layer.posterior.rho.assign(np.log(np.expm1(scale)))
    return layer


def _draws(layer, x, n):
    step = tf.function(lambda: layer(x), jit_compile=True)
    return np.stack([step() for _ in range(n)])


def _tf_conv(x, kernel, data_format):
    fmt = "NHWC" if data_format == "channels_last" else "NCHW"
    fn = tf.function(lambda: tf.nn.conv2d(x, kernel, 1, "SAME", data_format=fmt), jit_compile=True)
    return fn().numpy()


@pytest.mark.slow
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_reparameterization_moments_match_closed_form(data_format):
    rng = np.random.default_rng(1)
    x_shape = (3, 5, 5, 2) if data_format == "channels_last" else (3, 2, 5, 5)
    x = rng.normal(size=x_shape).astype("float32")
    k, f = 3 * 3 * 2 * 4, 4
    loc = rng.normal(size=k + f).astype("float32")
    scale = rng.uniform(0.2, 0.8, k + f).astype("float32")
    layer = _layer_with_posterior(loc, scale, x_shape, filters=4, kernel_size=3, padding="same",
                                  estimator="local_reparameterization", data_format=data_format)
    outputs = _draws(layer, x, 1000)
    bias_shape = (1, 1, 1, f) if data_format == "channels_last" else (1, f, 1, 1)
    mean = _tf_conv(x, loc[:k].reshape(3, 3, 2, f), data_format) + loc[k:].reshape(bias_shape)
    var = (_tf_conv(x ** 2, (scale[:k] ** 2).reshape(3, 3, 2, f), data_format)
           + (scale[k:] ** 2).reshape(bias_shape))
    standard_error = np.sqrt(var / len(outputs))
    assert np.all(np.abs(outputs.mean(0) - mean) < 5 * standard_error)
    np.testing.assert_allclose(outputs.var(0), var, rtol=5 * math.sqrt(2 / 999))


@pytest.mark.slow
def test_flipout_expected_output_is_the_mean_kernel_convolution():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 5, 2)).astype("float32")
    k, f = 3 * 3 * 2 * 4, 4
    loc = rng.normal(size=k + f).astype("float32")
    layer = _layer_with_posterior(loc, np.full(k + f, 0.5, "float32"), x.shape, filters=4,
                                  kernel_size=3, padding="same", estimator="flipout")
    outputs = _draws(layer, x, 2000)
    expected = _tf_conv(x, loc[:k].reshape(3, 3, 2, f), "channels_last") + loc[k:]
    standard_error = outputs.std(0) / math.sqrt(len(outputs))
    assert np.all(np.abs(outputs.mean(0) - expected) < 5 * standard_error + 1e-4)


def test_flipout_signs_are_per_example_and_channel_shared_over_space():
    # A 1x1 kernel with zero mean on an all-ones image: every spatial position
    # of an (example, channel) sees the same signs, hence the same output.
    k = 3 * 4
    layer = Conv2DVariational(4, 1, use_bias=False, estimator="flipout", seed=3)
    layer.build((8, 5, 5, 3))
    layer.posterior.loc.assign(np.zeros(k, "float32"))
    out = np.asarray(layer(np.ones((8, 5, 5, 3), "float32")))
    np.testing.assert_allclose(out, np.broadcast_to(out[:, :1, :1, :], out.shape), rtol=1e-6)
    per_example = out[:, 0, 0, :]
    assert len({tuple(np.sign(row)) for row in per_example}) > 1  # examples decorrelated


def test_analytic_kl_and_kl_weight():
    layer = Conv2DVariational(3, 2, kl_weight=0.5, prior=tfbsl.priors.Normal(0.0, 0.7))
    layer(np.ones((1, 4, 4, 2), "float32"))
    q = layer.posterior(None).distribution.distribution
    loc, scale = q.loc.numpy(), q.scale.numpy()
    expected = np.sum(np.log(0.7 / scale) + (scale ** 2 + loc ** 2) / (2 * 0.7 ** 2) - 0.5)
    assert len(loc) == 2 * 2 * 2 * 3 + 3
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * expected, rtol=1e-5)


def test_bad_input_gets_a_clear_value_error():
    cases = [
        (lambda: Conv2DVariational(4, 0), r"kernel_size.*Received: kernel_size=0"),
        (lambda: Conv2DVariational(4, (3, -1)), "kernel_size"),
        (lambda: Conv1DVariational(4, 3, strides=0), r"strides.*positive"),
        (lambda: Conv2DVariational(4, 3, strides=(1, 2, 3)), "strides"),
        (lambda: Conv2DVariational(4, 3, padding="full"), r"padding.*same.*valid"),
        (lambda: Conv2DVariational(4, 3, padding="causal"), "padding"),
        (lambda: Conv2DVariational(4, 3, data_format="NCHW"), "data_format"),
        (lambda: Conv2DVariational(0, 3), "filters"),
        (lambda: Conv2DVariational(3, 3, groups=2), "groups"),
        (lambda: Conv2DVariational(4, 3, groups=3).build((None, 5, 5, 4)), "groups"),
        (lambda: Conv2DVariational(4, 3, estimator="gibbs"), "estimator"),
        (lambda: Conv2DVariational(4, 3, kernel_prior_fn=None), "make_prior_fn"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()
    with pytest.raises(TypeError, match="estimator"):
        Convolution2DFlipout(4, 3, estimator="reparameterization")
