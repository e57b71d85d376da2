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
"""Tests for tensorflow_probability.layers.VariableInputLayer.

Ported from TFP 0.25 `layers/variable_input_test.py` to tfbsl and Keras 3.
Changes beyond the imports:
- A Keras 3 layer returns a tensor; tfbsl's carries the distribution as
  `.distribution` (TFP's `_TensorCoercible` as `.tensor_distribution`, and is
  a distribution itself). So `dist.tensor_distribution` is read as
  `dist.distribution`, and `dist.batch_shape` / `dist.event_shape` (a tensor
  has none) as `dist.distribution.batch_shape` / `.event_shape` (class b).
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tests.tfp_compat._compat import TestCase, tfpl

tfd = tfp.distributions


class VariableInputLayerTest(TestCase):

    def test_sequential_api(self):
        # Create a trainable distribution using the Sequential API.
        model = keras.models.Sequential([
            tfpl.VariableLayer(
                shape=[2, 3, 4],
                dtype=tf.float64,
                trainable=False),  # You'd probably never want this in IRL.
            # The Dense serves no real purpose; it will change the event_shape.
            keras.layers.Dense(5, use_bias=False, dtype=tf.float64),
            tfpl.DistributionLambda(
                lambda t: tfd.Independent(
                    tfd.Normal(loc=t[0], scale=t[1]),
                    reinterpreted_batch_ndims=1),
                dtype=tf.float64),

        ])

        # Instantiate the model (as a TFP distribution).
        dist = model(tf.zeros([]))

        # Check the weights.
        self.assertEqual(2, len(model.weights))

        # Check the VariableLayer layer.
        self.assertIs(tf.float64, tf.as_dtype(model.weights[0].dtype))
        self.assertEqual((2, 3, 4), model.layers[0].weights[0].shape)
        self.assertFalse(model.layers[0].trainable)
        self.assertFalse(model.layers[0].weights[0].trainable)

        # Check the Dense layer.
        self.assertIs(tf.float64, tf.as_dtype(model.weights[1].dtype))
        self.assertEqual((4, 5), model.layers[1].weights[0].shape)
        self.assertTrue(model.layers[1].trainable)
        self.assertTrue(model.layers[1].weights[0].trainable)

        # Check the distribution.
        # (b) TFP: `dist.tensor_distribution`; tfbsl: `dist.distribution`.
        self.assertIsInstance(dist.distribution, tfd.Independent)
        self.assertIs(tf.float64, dist.dtype)
        # (b) A tensor has no batch/event shape: read the distribution's.
        self.assertEqual((3,), dist.distribution.batch_shape)
        self.assertEqual((5,), dist.distribution.event_shape)

    def test_functional_api(self):
        # Create a trainable distribution using the functional API.
        dummy_input = keras.Input(shape=())
        x = tfpl.VariableLayer(
            shape=[2, 3, 4],
            dtype=tf.float64,
            trainable=False,  # You'd probably never want this in IRL.
        )(dummy_input)
        # The Dense serves no real purpose; it will change the event_shape.
        x = keras.layers.Dense(5, use_bias=False, dtype=tf.float64)(x)
        x = tfpl.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(loc=t[0], scale=t[1]),
                                      reinterpreted_batch_ndims=1),
            dtype=tf.float64)(x)
        model = keras.Model(dummy_input, x)

        # Instantiate the model (as a TFP distribution).
        # (c) A Keras 3 functional model checks its inputs' rank against its
        # `Input` (here `(batch,)`): TFP's scalar `tf.zeros([])` is refused
        # ("Expected shape (None,), but input has incompatible shape ()").
        dist = model(tf.zeros([1]))

        # Check the weights.
        self.assertEqual(2, len(model.weights))

        # Check the VariableLayer layer.
        self.assertIs(tf.float64, tf.as_dtype(model.weights[0].dtype))
        self.assertEqual((2, 3, 4), model.layers[1].weights[0].shape)
        self.assertFalse(model.layers[1].trainable)
        self.assertFalse(model.layers[1].weights[0].trainable)

        # Check the Dense layer.
        self.assertIs(tf.float64, tf.as_dtype(model.weights[1].dtype))
        self.assertEqual((4, 5), model.layers[2].weights[0].shape)
        self.assertTrue(model.layers[2].trainable)
        self.assertTrue(model.layers[2].weights[0].trainable)

        # Check the distribution.
        # (b) TFP: `dist.tensor_distribution`; tfbsl: `dist.distribution`.
        self.assertIsInstance(dist.distribution, tfd.Independent)
        self.assertIs(tf.float64, dist.dtype)
        # (b) A tensor has no batch/event shape: read the distribution's.
        self.assertEqual((3,), dist.distribution.batch_shape)
        self.assertEqual((5,), dist.distribution.event_shape)
