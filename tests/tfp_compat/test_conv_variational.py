# Copyright 2018 The TensorFlow Probability Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
# ============================================================================
"""Tests for convolutional variational layers.

Ported from TFP 0.25 `layers/conv_variational_test.py` to tfbsl and Keras 3,
run eagerly (`sess.run` / `self.evaluate` give numpy values). TFP's
`CPUConvolution` (a subclass of TF's private `nn_ops.Convolution` patched into
TF, for TF has no channels-first convolution on CPU) computes the expected
outputs as `_convolution` here, and `keras.ops.conv`, which tfbsl's layers
call, is patched alike for the channels-first tests (`_cpu_conv`). Changes
beyond the imports are marked in the tests with their class (b: a deliberate
difference of tfbsl; c: Keras 3 makes TFP's behaviour impossible).
"""

from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests.tfp_compat._compat import (
    TestCase,
    flipout_signs_exist,
    layer_test,
    tfpl,
)
from tests.tfp_compat.test_dense_variational import (
    Counter,
    MockDistribution,
    MockKLDivergence,
)

tfd = tfp.distributions


def channels_last_to_first(shape):
    """Given a shape with channels last, returns a shape with channels first.

    Assumes we're dealing with the standard shapes as used by
    [TF's convolution operators][1].

    [1]: https://www.tensorflow.org/api_docs/python/tf/nn/convolution

    Args:
      shape: A sequence with each element corresponding to an axis in a shape.

    Returns:
      The transposed shape.
    """
    return shape[:1] + shape[-1:] + shape[1:-1]


def channels_first_to_last(shape):
    """Given a shape with channels first, returns a shape with channels last.

    Assumes we're dealing with the standard shapes as used by
    [TF's convolution operators][1].

    [1]: https://www.tensorflow.org/api_docs/python/tf/nn/convolution

    Args:
      shape: A sequence with each element corresponding to an axis in a shape.

    Returns:
      The transposed shape.
    """
    return shape[:1] + shape[2:] + shape[1:2]


def _convert_data_format(data_format, ndim):
    """`tf_keras.utils.conv_utils.convert_data_format`."""
    spatial = {3: 'W', 4: 'HW', 5: 'DHW'}[ndim]
    return 'N' + spatial + 'C' if data_format == 'channels_last' else 'NC' + spatial


def _convolution(inputs, kernel, data_format, padding='SAME'):
    """TFP's `CPUConvolution(...)(inputs, kernel)`: TF's convolution, which
    has no channels-first kernel on CPU, of channels-last inputs."""
    rank = inputs.shape.rank
    channels_first = data_format.startswith('NC')
    if channels_first:
        inputs = tf.transpose(a=inputs, perm=channels_first_to_last(list(range(rank))))
    ret = tf.nn.convolution(inputs, kernel, padding=padding)
    if channels_first:
        ret = tf.transpose(a=ret, perm=channels_last_to_first(list(range(rank))))
    return ret


def _cpu_conv(conv):
    """`CPUConvolution` for `keras.ops.conv`: channels-first inputs are
    transposed to channels-last, convolved, and the result transposed back."""

    def cpu_conv(inputs, kernel, strides=1, padding='valid', data_format=None,
                 dilation_rate=1):
        if data_format != 'channels_first':
            return conv(inputs, kernel, strides, padding, data_format, dilation_rate)
        rank = len(inputs.shape)
        inputs = keras.ops.transpose(inputs, channels_first_to_last(list(range(rank))))
        ret = conv(inputs, kernel, strides, padding, 'channels_last', dilation_rate)
        return keras.ops.transpose(ret, channels_last_to_first(list(range(rank))))

    return cpu_conv


class ConvVariational:


    def maybe_transpose_tensor(self, tensor):
        if self.data_format == 'channels_first':
            order = channels_last_to_first(list(range(tensor.shape.rank)))
            return tf.transpose(a=tensor, perm=order)
        else:
            return tensor

    def _testKerasLayer(self, layer_class):  # pylint: disable=invalid-name
        def kernel_posterior_fn(dtype, shape, name, trainable, add_variable_fn):
            """Set trivially. The function is required to instantiate layer."""
            del name, trainable, add_variable_fn  # unused
            # Deserialized Keras objects do not perform lexical scoping. Any modules
            # that the function requires must be imported within the function.
            import tensorflow as tf  # noqa: F811
            import tensorflow_probability as tfp  # noqa: F811

            dist = tfp.distributions.Normal(loc=tf.zeros(shape, dtype),
                                            scale=dtype.as_numpy_dtype(1))
            batch_ndims = tf.size(dist.batch_shape_tensor())
            return tfp.distributions.Independent(
                dist, reinterpreted_batch_ndims=batch_ndims)

        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            input_shape = (2, 3, 1)
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            input_shape = (2, 3, 3, 1)
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            input_shape = (2, 3, 3, 3, 1)

        if self.data_format == 'channels_first':
            input_shape = channels_last_to_first(input_shape)

        # (b) TFP saves every Python function's bytecode in the config
        # (`types.LambdaType` holds for a `def` too); tfbsl, as Keras 3, saves
        # a lambda's bytecode but a named function by its name, to be found
        # among the registered or custom objects on reload: it is given here.
        with keras.saving.CustomObjectScope({layer_class.__name__: layer_class,
                                             'kernel_posterior_fn': kernel_posterior_fn}):
            # TFP skips this test ('Skip the test until the TF and Keras has a
            # new PIP.'): `keras.testing_infra` is gone. (c) Keras 3 has no
            # `layer_test` either: `_compat.layer_test` checks what it checked.
            layer_test(
                layer_class,
                kwargs={'filters': 2,
                        'kernel_size': 3,
                        'kernel_posterior_fn': kernel_posterior_fn,
                        'kernel_prior_fn': None,
                        'bias_posterior_fn': None,
                        'bias_prior_fn': None,
                        'data_format': self.data_format},
                input_shape=input_shape)

    def _testKLPenaltyKernel(self, layer_class):  # pylint: disable=invalid-name
        layer = layer_class(
            filters=2, kernel_size=3, data_format=self.data_format)
        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            inputs = tf.random.uniform([2, 3, 1], seed=1)
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 1], seed=1)
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 3, 1], seed=1)
        inputs = self.maybe_transpose_tensor(inputs)

        # No keys.
        input_dependent_losses = layer.losses
        self.assertEqual(len(layer.losses), 0)
        self.assertListEqual(layer.losses, input_dependent_losses)

        _ = layer(inputs)

        # Yes keys.
        input_dependent_losses = layer.losses
        self.assertEqual(len(layer.losses), 1)
        self.assertEqual(layer.losses[0].shape, ())
        self.assertListEqual(layer.losses, input_dependent_losses)

    def _testKLPenaltyBoth(self, layer_class):  # pylint: disable=invalid-name
        layer = layer_class(
            filters=2,
            kernel_size=3,
            bias_posterior_fn=tfpl.default_mean_field_normal_fn(),
            bias_prior_fn=tfpl.default_multivariate_normal_fn,
            data_format=self.data_format)
        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            inputs = tf.random.uniform([2, 3, 1], seed=1)
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 1], seed=1)
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 3, 1], seed=1)
        inputs = self.maybe_transpose_tensor(inputs)

        # No keys.
        self.assertEqual(len(layer.losses), 0)

        _ = layer(inputs)

        # Yes keys.
        self.assertEqual(len(layer.losses), 2)
        self.assertEqual(layer.losses[0].shape, ())
        self.assertEqual(layer.losses[1].shape, ())

    def _testConvSetUp(self, layer_class, batch_size, depth=None,
                       height=None, width=None, channels=None, filters=None,
                       **kwargs):  # pylint: disable=invalid-name
        seed = Counter()
        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            inputs = tf.random.uniform([batch_size, width, channels], seed=seed())
            kernel_size = (2,)
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            inputs = tf.random.uniform([batch_size, height, width, channels],
                                       seed=seed())
            kernel_size = (2, 2)
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            inputs = tf.random.uniform([batch_size, depth, height, width, channels],
                                       seed=seed())
            kernel_size = (2, 2, 2)
        inputs = self.maybe_transpose_tensor(inputs)

        kernel_shape = kernel_size + (channels, filters)
        kernel_posterior = MockDistribution(
            loc=tf.random.uniform(kernel_shape, seed=seed()),
            scale=tf.random.uniform(kernel_shape, seed=seed()),
            result_log_prob=tf.random.uniform(kernel_shape, seed=seed()),
            result_sample=tf.random.uniform(kernel_shape, seed=seed()))
        kernel_prior = MockDistribution(
            result_log_prob=tf.random.uniform(kernel_shape, seed=seed()),
            result_sample=tf.random.uniform(kernel_shape, seed=seed()))
        kernel_divergence = MockKLDivergence(
            result=tf.random.uniform([], seed=seed()))

        bias_size = (filters,)
        bias_posterior = MockDistribution(
            result_log_prob=tf.random.uniform(bias_size, seed=seed()),
            result_sample=tf.random.uniform(bias_size, seed=seed()))
        bias_prior = MockDistribution(
            result_log_prob=tf.random.uniform(bias_size, seed=seed()),
            result_sample=tf.random.uniform(bias_size, seed=seed()))
        bias_divergence = MockKLDivergence(
            result=tf.random.uniform([], seed=seed()))

        tf.random.set_seed(5995)
        layer = layer_class(
            filters=filters,
            kernel_size=kernel_size,
            padding='SAME',
            kernel_posterior_fn=lambda *args: kernel_posterior,
            kernel_posterior_tensor_fn=lambda d: d.sample(seed=42),
            kernel_prior_fn=lambda *args: kernel_prior,
            kernel_divergence_fn=kernel_divergence,
            bias_posterior_fn=lambda *args: bias_posterior,
            bias_posterior_tensor_fn=lambda d: d.sample(seed=43),
            bias_prior_fn=lambda *args: bias_prior,
            bias_divergence_fn=bias_divergence,
            data_format=self.data_format,
            **kwargs)

        outputs = layer(inputs)

        kl_penalty = layer.losses
        return (kernel_posterior, kernel_prior, kernel_divergence,
                bias_posterior, bias_prior, bias_divergence,
                layer, inputs, outputs, kl_penalty, kernel_shape)

    def _testConvReparameterization(self, layer_class):  # pylint: disable=invalid-name
        batch_size, depth, height, width, channels, filters = 2, 4, 4, 4, 3, 5
        (kernel_posterior, kernel_prior, kernel_divergence,
         bias_posterior, bias_prior, bias_divergence, layer, inputs,
         outputs, kl_penalty, kernel_shape) = self._testConvSetUp(
             layer_class, batch_size,
             depth=depth, height=height, width=width, channels=channels,
             filters=filters)

        def convolution_op(x, kernel):
            return _convolution(x, kernel, padding='SAME', data_format=_convert_data_format(
                self.data_format, inputs.shape.rank))
        expected_outputs = convolution_op(inputs, kernel_posterior.result_sample)
        expected_outputs = tf.nn.bias_add(
            expected_outputs,
            bias_posterior.result_sample,
            data_format=_convert_data_format(self.data_format, 4))

        [
            expected_outputs_, actual_outputs_,
            expected_kernel_, actual_kernel_,
            expected_kernel_divergence_, actual_kernel_divergence_,
            expected_bias_, actual_bias_,
            expected_bias_divergence_, actual_bias_divergence_,
        ] = self.evaluate([
            expected_outputs, outputs,
            kernel_posterior.result_sample, layer.kernel_posterior_tensor,
            kernel_divergence.result, kl_penalty[0],
            bias_posterior.result_sample, layer.bias_posterior_tensor,
            bias_divergence.result, kl_penalty[1],
        ])

        self.assertAllClose(expected_kernel_, actual_kernel_, rtol=1e-6)
        self.assertAllClose(expected_bias_, actual_bias_, rtol=1e-6)
        self.assertAllClose(expected_outputs_, actual_outputs_, rtol=1e-6)
        self.assertAllClose(
            expected_kernel_divergence_, actual_kernel_divergence_, rtol=1e-6)
        self.assertAllClose(
            expected_bias_divergence_, actual_bias_divergence_, rtol=1e-6)

        expected_args = [kernel_posterior,
                         kernel_prior,
                         kernel_posterior.result_sample]
        # We expect that there was one call to kernel_divergence, with the above
        # args; MockKLDivergence appends the list of args to a list, so the above
        # args should be in the 0th position of that list.
        actual_args = kernel_divergence.args[0]
        # Test for identity with 'is'. TensorFlowTestCase.assertAllEqual actually
        # coerces the inputs to numpy arrays, so we can't use that to assert that
        # the arguments (which are a mixture of Distributions and Tensors) are
        # equal.
        for a, b in zip(expected_args, actual_args, strict=False):
            self.assertIs(a, b)

        # Same story as above.
        expected_args = [bias_posterior, bias_prior, bias_posterior.result_sample]
        actual_args = bias_divergence.args[0]
        for a, b in zip(expected_args, actual_args, strict=False):
            self.assertIs(a, b)

    def _testConvFlipout(self, layer_class):  # pylint: disable=invalid-name
        batch_size, depth, height, width, channels, filters = 2, 4, 4, 4, 3, 5
        (kernel_posterior, kernel_prior, kernel_divergence,
         bias_posterior, bias_prior, bias_divergence, layer, inputs,
         outputs, kl_penalty, kernel_shape) = self._testConvSetUp(
             layer_class, batch_size,
             depth=depth, height=height, width=width, channels=channels,
             filters=filters, seed=44)

        tf.random.set_seed(5995)

        def convolution_op(x, kernel):
            return _convolution(x, kernel, padding='SAME', data_format=_convert_data_format(
                self.data_format, inputs.shape.rank))

        expected_kernel_posterior_affine = tfd.Normal(
            loc=tf.zeros_like(kernel_posterior.result_loc),
            scale=kernel_posterior.result_scale)
        expected_kernel_posterior_affine_tensor = (
            expected_kernel_posterior_affine.sample(seed=42))

        expected_outputs = convolution_op(
            inputs, kernel_posterior.distribution.loc)

        # (b) TFP draws the signs from `SeedStream(layer.seed,
        # salt='ConvFlipout')` (`random_ops.rademacher`), tfbsl from the
        # layer's `keras.random.SeedGenerator`: the signs cannot be recomputed
        # here. TFP's expected output is kept without the perturbation, and
        # the perturbation checked to be `sign_output * conv(inputs *
        # sign_input, delta)` for some signs, one per example and channel.
        expected_outputs = tf.nn.bias_add(
            expected_outputs,
            bias_posterior.result_sample,
            data_format=_convert_data_format(self.data_format, 4))

        [
            expected_outputs_, actual_outputs_,
            expected_kernel_divergence_, actual_kernel_divergence_,
            expected_bias_, actual_bias_,
            expected_bias_divergence_, actual_bias_divergence_,
        ] = self.evaluate([
            expected_outputs, outputs,
            kernel_divergence.result, kl_penalty[0],
            bias_posterior.result_sample, layer.bias_posterior_tensor,
            bias_divergence.result, kl_penalty[1],
        ])

        self.assertAllClose(expected_bias_, actual_bias_, rtol=1e-6)
        channel_axis = 1 if self.data_format == 'channels_first' else -1
        delta = expected_kernel_posterior_affine_tensor
        self.assertTrue(flipout_signs_exist(
            actual_outputs_ - expected_outputs_, self.evaluate(inputs),
            lambda x: convolution_op(tf.constant(x), delta), channels,
            channel_axis=channel_axis))
        self.assertAllClose(
            expected_kernel_divergence_, actual_kernel_divergence_, rtol=1e-6)
        self.assertAllClose(
            expected_bias_divergence_, actual_bias_divergence_, rtol=1e-6)

        expected_args = [kernel_posterior,
                         kernel_prior,
                         None]
        # We expect that there was one call to kernel_divergence, with the above
        # args; MockKLDivergence appends the list of args to a list, so the above
        # args should be in the 0th position of that list.
        actual_args = kernel_divergence.args[0]
        # Test for identity with 'is'. TensorFlowTestCase.assertAllEqual actually
        # coerces the inputs to numpy arrays, so we can't use that to assert that
        # the arguments (which are a mixture of Distributions and Tensors) are
        # equal.
        for a, b in zip(expected_args, actual_args, strict=False):
            self.assertIs(a, b)

        # Same story as above.
        expected_args = [bias_posterior, bias_prior, bias_posterior.result_sample]
        actual_args = bias_divergence.args[0]
        for a, b in zip(expected_args, actual_args, strict=False):
            self.assertIs(a, b)

    def _testRandomConvFlipout(self, layer_class):  # pylint: disable=invalid-name
        batch_size, depth, height, width, channels, filters = 2, 4, 4, 4, 3, 5
        seed = Counter()
        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            inputs = tf.random.uniform([batch_size, width, channels], seed=seed())
            kernel_size = (2,)
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            inputs = tf.random.uniform([batch_size, height, width, channels],
                                       seed=seed())
            kernel_size = (2, 2)
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            inputs = tf.random.uniform([batch_size, depth, height, width, channels],
                                       seed=seed())
            kernel_size = (2, 2, 2)
        inputs = self.maybe_transpose_tensor(inputs)

        kernel_shape = kernel_size + (channels, filters)
        bias_size = (filters,)

        kernel_posterior = MockDistribution(
            loc=tf.random.uniform(kernel_shape, seed=seed()),
            scale=tf.random.uniform(kernel_shape, seed=seed()),
            result_log_prob=tf.random.uniform(kernel_shape, seed=seed()),
            result_sample=tf.random.uniform(kernel_shape, seed=seed()))
        bias_posterior = MockDistribution(
            loc=tf.random.uniform(bias_size, seed=seed()),
            scale=tf.random.uniform(bias_size, seed=seed()),
            result_log_prob=tf.random.uniform(bias_size, seed=seed()),
            result_sample=tf.random.uniform(bias_size, seed=seed()))
        layer_one = layer_class(
            filters=filters,
            kernel_size=kernel_size,
            padding='SAME',
            kernel_posterior_fn=lambda *args: kernel_posterior,
            kernel_posterior_tensor_fn=lambda d: d.sample(seed=42),
            kernel_divergence_fn=None,
            bias_posterior_fn=lambda *args: bias_posterior,
            bias_posterior_tensor_fn=lambda d: d.sample(seed=43),
            bias_divergence_fn=None,
            seed=44,
            data_format=self.data_format)
        layer_two = layer_class(
            filters=filters,
            kernel_size=kernel_size,
            padding='SAME',
            kernel_posterior_fn=lambda *args: kernel_posterior,
            kernel_posterior_tensor_fn=lambda d: d.sample(seed=42),
            kernel_divergence_fn=None,
            bias_posterior_fn=lambda *args: bias_posterior,
            bias_posterior_tensor_fn=lambda d: d.sample(seed=43),
            bias_divergence_fn=None,
            seed=45,
            data_format=self.data_format)

        outputs_one = layer_one(inputs)
        outputs_two = layer_two(inputs)

        outputs_one_, outputs_two_ = self.evaluate([
            outputs_one, outputs_two])

        self.assertLess(np.sum(np.isclose(outputs_one_, outputs_two_)),
                        np.prod(outputs_one_.shape))

    def _testLayerInSequential(self, layer_class):  # pylint: disable=invalid-name
        if layer_class in (tfpl.Convolution1DReparameterization,
                           tfpl.Convolution1DFlipout):
            inputs = tf.random.uniform([2, 3, 1])
            outputs = tf.random.uniform([2, 1, 2])
        elif layer_class in (tfpl.Convolution2DReparameterization,
                             tfpl.Convolution2DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 1])
            outputs = tf.random.uniform([2, 1, 1, 2])
        elif layer_class in (tfpl.Convolution3DReparameterization,
                             tfpl.Convolution3DFlipout):
            inputs = tf.random.uniform([2, 3, 3, 3, 1])
            outputs = tf.random.uniform([2, 1, 1, 1, 2])
        inputs = self.maybe_transpose_tensor(inputs)
        outputs = self.maybe_transpose_tensor(outputs)

        net = keras.Sequential([
            layer_class(filters=2, kernel_size=3, data_format=self.data_format,
                        input_shape=inputs.shape[1:]),
            layer_class(filters=2, kernel_size=1, data_format=self.data_format)])

        net.compile(loss='mse', optimizer='adam')
        net.fit(inputs, outputs, batch_size=2, epochs=3, steps_per_epoch=2)

        batch_output = self.evaluate(net(inputs))
        self.assertAllEqual(outputs.shape, batch_output.shape)

    def testKerasLayerConvolution1DReparameterization(self):
        self._testKerasLayer(tfpl.Convolution1DReparameterization)

    def testKerasLayerConvolution2DReparameterization(self):
        self._testKerasLayer(tfpl.Convolution2DReparameterization)

    def testKerasLayerConvolution3DReparameterization(self):
        self._testKerasLayer(tfpl.Convolution3DReparameterization)

    def testKerasLayerConvolution1DFlipout(self):
        self._testKerasLayer(tfpl.Convolution1DFlipout)

    def testKerasLayerConvolution2DFlipout(self):
        self._testKerasLayer(tfpl.Convolution2DFlipout)

    def testKerasLayerConvolution3DFlipout(self):
        self._testKerasLayer(tfpl.Convolution3DFlipout)

    def testKLPenaltyKernelConvolution1DReparameterization(self):
        self._testKLPenaltyKernel(tfpl.Convolution1DReparameterization)

    def testKLPenaltyKernelConvolution2DReparameterization(self):
        self._testKLPenaltyKernel(tfpl.Convolution2DReparameterization)

    def testKLPenaltyKernelConvolution3DReparameterization(self):
        self._testKLPenaltyKernel(tfpl.Convolution3DReparameterization)

    def testKLPenaltyKernelConvolution1DFlipout(self):
        self._testKLPenaltyKernel(tfpl.Convolution1DFlipout)

    def testKLPenaltyKernelConvolution2DFlipout(self):
        self._testKLPenaltyKernel(tfpl.Convolution2DFlipout)

    def testKLPenaltyKernelConvolution3DFlipout(self):
        self._testKLPenaltyKernel(tfpl.Convolution3DFlipout)

    def testKLPenaltyBothConvolution1DReparameterization(self):
        self._testKLPenaltyBoth(tfpl.Convolution1DReparameterization)

    def testKLPenaltyBothConvolution2DReparameterization(self):
        self._testKLPenaltyBoth(tfpl.Convolution2DReparameterization)

    def testKLPenaltyBothConvolution3DReparameterization(self):
        self._testKLPenaltyBoth(tfpl.Convolution3DReparameterization)

    def testKLPenaltyBothConvolution1DFlipout(self):
        self._testKLPenaltyBoth(tfpl.Convolution1DFlipout)

    def testKLPenaltyBothConvolution2DFlipout(self):
        self._testKLPenaltyBoth(tfpl.Convolution2DFlipout)

    def testKLPenaltyBothConvolution3DFlipout(self):
        self._testKLPenaltyBoth(tfpl.Convolution3DFlipout)

    def testConvolution1DReparameterization(self):
        self._testConvReparameterization(
            tfpl.Convolution1DReparameterization)

    def testConvolution2DReparameterization(self):
        self._testConvReparameterization(
            tfpl.Convolution2DReparameterization)

    def testConvolution3DReparameterization(self):
        self._testConvReparameterization(
            tfpl.Convolution3DReparameterization)

    def testConvolution1DFlipout(self):
        self._testConvFlipout(tfpl.Convolution1DFlipout)

    def testConvolution2DFlipout(self):
        self._testConvFlipout(tfpl.Convolution2DFlipout)

    def testConvolution3DFlipout(self):
        self._testConvFlipout(tfpl.Convolution3DFlipout)

    def testRandomConvolution1DFlipout(self):
        self._testRandomConvFlipout(tfpl.Convolution1DFlipout)

    @pytest.mark.slow
    def testSequentialConvolution1DReparameterization(self):
        self._testLayerInSequential(
            tfpl.Convolution1DReparameterization)

    @pytest.mark.slow
    def testSequentialConvolution2DReparameterization(self):
        self._testLayerInSequential(
            tfpl.Convolution2DReparameterization)

    @pytest.mark.slow
    def testSequentialConvolution3DReparameterization(self):
        self._testLayerInSequential(
            tfpl.Convolution3DReparameterization)

    @pytest.mark.slow
    def testSequentialConvolution1DFlipout(self):
        self._testLayerInSequential(tfpl.Convolution1DFlipout)

    @pytest.mark.slow
    def testSequentialConvolution2DFlipout(self):
        self._testLayerInSequential(tfpl.Convolution2DFlipout)

    @pytest.mark.slow
    def testSequentialConvolution3DFlipout(self):
        self._testLayerInSequential(tfpl.Convolution3DFlipout)

    def testGradients(self):
        net = keras.Sequential([
            tfpl.Convolution1DFlipout(
                1, 1, data_format=self.data_format),
            tfpl.Convolution1DReparameterization(
                1, 1, data_format=self.data_format),
        ])
        with tf.GradientTape() as tape:
            y = net(tf.zeros([1, 1, 1]))
        grads = tape.gradient(y, net.trainable_variables)
        self.assertLen(grads, 6)
        self.assertAllNotNone(grads)


class ConvVariationalTestChannelsFirst(TestCase, ConvVariational):
    data_format = 'channels_first'

    def testRandomConvolution1DFlipout(self):
        super().testRandomConvolution1DFlipout()

    def testConvolution1DReparameterization(self):
        super().testConvolution1DReparameterization()

    def testConvolution2DReparameterization(self):
        super().testConvolution2DReparameterization()

    def testConvolution3DReparameterization(self):
        super().testConvolution3DReparameterization()

    def testConvolution1DFlipout(self):
        super().testConvolution1DFlipout()

    def testConvolution2DFlipout(self):
        super().testConvolution2DFlipout()

    def testConvolution3DFlipout(self):
        super().testConvolution3DFlipout()

    def setUp(self):
        super().setUp()
        # TFP's test module replaces TF's `nn_ops.Convolution` (which TFP's
        # layers call) by `CPUConvolution`, for TF has no channels-first
        # convolution on CPU; Keras 3's `keras.ops.conv` (which tfbsl's
        # layers, as `keras.layers.Conv2D`, call) has none either ("The
        # Conv2D op currently only supports the NHWC tensor format on the
        # CPU"): it is replaced alike, for this class's tests.
        patcher = mock.patch.object(keras.ops, 'conv', _cpu_conv(keras.ops.conv))
        patcher.start()
        self.addCleanup(patcher.stop)


class ConvVariationalTestChannelsLast(TestCase, ConvVariational):
    data_format = 'channels_last'
