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
"""Tests for tensorflow_probability.layers.DenseVariational.

Ported from TFP 0.25 `layers/dense_variational_v2_test.py` to tfbsl and
Keras 3. Changes beyond the imports are marked in the test with their class
(b: a deliberate difference of tfbsl; c: Keras 3 makes TFP's behaviour
impossible).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests.tfp_compat._compat import TestCase, tfpl

tfd = tfp.distributions


def create_dataset():
    np.random.seed(43)
    n = 150
    w0 = 0.125
    b0 = 5.
    x_range = [-20, 60]
    x_tst = np.linspace(*x_range).astype(np.float32)

    def s(x):
        g = (x - x_range[0]) / (x_range[1] - x_range[0])
        return 3 * (0.25 + g**2.)

    x = (x_range[1] - x_range[0]) * np.random.rand(n) + x_range[0]
    eps = np.random.randn(n) * s(x)
    y = (w0 * x * (1. + np.sin(x)) + b0) + eps
    x = x[..., np.newaxis]
    x_tst = x_tst[..., np.newaxis]

    return y, x, x_tst


def posterior_mean_field(kernel_size, bias_size=0, dtype=None):
    n = kernel_size + bias_size
    c = np.log(np.expm1(1.))
    return keras.Sequential([
        tfpl.VariableLayer(2 * n, dtype=dtype),
        tfpl.DistributionLambda(lambda t: tfd.Independent(
            tfd.Normal(loc=t[..., :n],
                       scale=1e-5 + tf.nn.softplus(c + t[..., n:])),
            reinterpreted_batch_ndims=1)),
    ])


def prior_trainable(kernel_size, bias_size=0, dtype=None):
    n = kernel_size + bias_size
    return keras.Sequential([
        tfpl.VariableLayer(n, dtype=dtype),
        tfpl.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1),
                                      reinterpreted_batch_ndims=1)),
    ])


def negloglik(y, rv_y):
    return -rv_y.log_prob(y)


class DenseVariationalLayerTest(TestCase):

    @pytest.mark.slow
    def test_end_to_end(self):
        # Get dataset.
        y, x, x_tst = create_dataset()

        layer = tfpl.DenseVariational(1, posterior_mean_field, prior_trainable)

        model = keras.Sequential([
            layer,
            tfpl.DistributionLambda(
                lambda t: tfd.Normal(loc=t, scale=1))
        ])

        optimizer = keras.optimizers.Adam(learning_rate=0.05)
        # Do inference.
        model.compile(optimizer=optimizer,
                      loss=negloglik)
        model.fit(x, y, epochs=2, verbose=False)

        self.assertLen(model.layers, 2)
        # (c) Keras 3's `layer.variables` also holds the state of every
        # `keras.random.SeedGenerator` (each sampling layer has one), and (b)
        # tfbsl's layers hold their `kl_weight` in a non-trainable variable:
        # count the trainable variables, and the weights (no seed states).
        self.assertLen(model.layers[0].trainable_variables, 2)
        self.assertEmpty(model.layers[1].weights)

        posterior, prior = model.layers[0].trainable_variables
        # (c) A Keras 3 variable's `name` is its own name ('var'); its scopes
        # are in `path` (tf_keras: `name` is the scoped name).
        self.assertNotEqual(prior.path, posterior.path)
        self.assertContainsSubsequence(posterior.path, '/posterior/')
        self.assertContainsSubsequence(prior.path, '/prior/')

        # Check the output_shape.
        # (c) Keras 3's `compute_output_shape` returns a tuple, not a
        # `TensorShape` (no `.as_list()`).
        expected_output_shape = list(layer.compute_output_shape(
            (None, x.shape[-1])))
        self.assertAllEqual(expected_output_shape, (None, 1))

        # Profit.
        yhat = model(x_tst)
        # (c) A Keras 3 layer returns a tensor, never a distribution; tfbsl's
        # carries it as `.distribution` (TFP's is a distribution itself).
        self.assertIsInstance(yhat.distribution, tfd.Distribution)
