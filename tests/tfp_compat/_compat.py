"""Shims shared by the ported TFP tests (none of them changes what is tested).

- `tfpl`: `tfbsl.layers`, as a user imports it in place of `tfp.layers`
  (`test_exports` in `test_distribution_layer.py` checks that it has every
  name of `tfp.layers`).
- `TestCase`: `tf.test.TestCase` (run eagerly under pytest) with the two
  assertions of TFP's `test_util.TestCase` that the ported tests use.
- `layer_test`: a minimal Keras 3 stand-in for tf_keras'
  `testing_infra.test_utils.layer_test`, which Keras 3 no longer has.
"""

import itertools

import keras
import numpy as np
import tensorflow as tf

import tfbsl.layers

# Every public name of `tfp.layers` in TFP 0.25 (its `__init__.py`).
# (`WeightNorm` lives in `tfp.layers.weight_norm` only.)
TFP_LAYERS_NAMES = (
    "AutoregressiveTransform", "BlockwiseInitializer",
    "CategoricalMixtureOfOneHotCategorical", "Convolution1DFlipout",
    "Convolution1DReparameterization", "Convolution2DFlipout",
    "Convolution2DReparameterization", "Convolution3DFlipout",
    "Convolution3DReparameterization", "DenseFlipout",
    "DenseLocalReparameterization", "DenseReparameterization", "DenseVariational",
    "DistributionLambda", "IndependentBernoulli", "IndependentLogistic",
    "IndependentNormal", "IndependentPoisson", "KLDivergenceAddLoss",
    "KLDivergenceRegularizer", "MixtureLogistic", "MixtureNormal",
    "MixtureSameFamily", "MultivariateNormalTriL", "OneHotCategorical",
    "VariableLayer", "VariationalGaussianProcess",
    "default_loc_scale_fn", "default_mean_field_normal_fn",
    "default_multivariate_normal_fn",
)


# As a user imports it in place of `tfp.layers`.
tfpl = tfbsl.layers


class TestCase(tf.test.TestCase):
    """`tf.test.TestCase` run eagerly: `self.evaluate` turns tensors (and
    nested structures of them) into numpy values."""

    # `tf.test.TestCase.test_session` is a TF1 helper, not a test.
    test_session = None

    def assertAllNotNone(self, a):
        """TFP's `test_util.TestCase.assertAllNotNone`."""
        for i, x in enumerate(a):
            self.assertIsNotNone(x, msg=f"entry {i} is None")

    def assertAllMeansClose(self, a, b, axis, atol=1e-6, rtol=1e-6):
        """TFP's `test_util.TestCase.assertAllMeansClose`: the mean of `a`
        over `axis` close to `b`."""
        self.assertAllClose(np.mean(np.asarray(a), axis=axis), b, atol=atol, rtol=rtol)


def layer_test(layer_cls, kwargs, input_shape):
    """What tf_keras' `layer_test` checks, in Keras 3: the layer builds and
    runs on random inputs of `input_shape` (a `None` becomes a size 2-4), its
    weights round-trip through `get_weights`/`set_weights`, its output shape
    agrees with `compute_output_shape` in a functional and a `Sequential`
    model, and the layer and the models reload from their configs."""
    rng = np.random.default_rng(0)
    shape = tuple(int(rng.integers(2, 5)) if d is None else d for d in input_shape)
    x = (10 * rng.random(shape)).astype("float32")
    layer = layer_cls(**kwargs)
    y = np.asarray(layer(x))
    layer.set_weights(layer.get_weights())
    expected = layer.compute_output_shape(shape)
    assert tuple(y.shape) == tuple(expected), (y.shape, expected)

    # Functional API.
    inputs = keras.Input(batch_shape=input_shape)
    outputs = layer_cls(**kwargs)(inputs)
    model = keras.Model(inputs, outputs)
    symbolic = tuple(outputs.shape)
    actual = np.asarray(model(x))
    assert len(symbolic) == actual.ndim
    for s, a in zip(symbolic, actual.shape, strict=True):
        assert s is None or s == a, (symbolic, actual.shape)
    # Config round trips (a lambda or local function needs `safe_mode=False`
    # in Keras 3, as `keras.layers.Lambda`).
    copy = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer), safe_mode=False)
    assert copy(x).shape == y.shape
    recovered = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model), safe_mode=False)
    if model.weights:
        recovered.set_weights(model.get_weights())
    assert recovered(x).shape == actual.shape

    # Sequential API.
    model = keras.Sequential([keras.Input(batch_shape=input_shape), layer_cls(**kwargs)])
    assert model(x).shape == actual.shape
    recovered = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model), safe_mode=False)
    assert recovered(x).shape == actual.shape
    return actual


def flipout_signs_exist(residual, inputs, perturb, in_channels, channel_axis,
                        rtol=1e-6, atol=1e-6):
    """Whether Rademacher signs exist making `residual` Flipout's perturbation:
    for every example `b`, `residual[b] = s_out * perturb(inputs[b] * s_in)`,
    `s_in` one sign per input channel (shared over positions) and `s_out` one
    per output channel (TFP's `sign_input` / `sign_output`), the channels on
    `channel_axis` (of the batched arrays) of the inputs and the outputs.

    tfbsl draws its signs from the layer's `keras.random.SeedGenerator`, TFP
    from `SeedStream(layer.seed, salt)`: the ported tests cannot recompute the
    very signs (class b), so they check that signs exist."""
    residual, inputs = np.asarray(residual), np.asarray(inputs)
    out_axis = channel_axis - 1 if channel_axis > 0 else channel_axis  # of residual[b]
    for b in range(inputs.shape[0]):
        r = residual[b]
        found = False
        for bits in itertools.product((-1.0, 1.0), repeat=in_channels):
            shape = [1] * inputs.ndim
            shape[channel_axis] = in_channels
            s_in = np.reshape(np.asarray(bits, inputs.dtype), shape)
            p = np.asarray(perturb(inputs[b:b + 1] * s_in))[0]
            if all(
                any(np.allclose(np.take(r, f, axis=out_axis), s * np.take(p, f, axis=out_axis),
                                rtol=rtol, atol=atol) for s in (1.0, -1.0))
                for f in range(r.shape[out_axis])
            ):
                found = True
                break
        if not found:
            return False
    return True
