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
"""Tests for the distribution layers.

Ported from TFP 0.25 `layers/distribution_layer_test.py` to tfbsl and
Keras 3, run eagerly (`self.evaluate` gives numpy values; TFP's graph-mode
branches and `v.initializer` runs are dropped). Changes that apply
throughout:
- (c) A Keras 3 layer returns a tensor. tfbsl's carries the distribution as
  `.distribution` (TFP's output is a `_TensorCoercible` distribution whose own
  distribution is `.tensor_distribution`), and forwards `mean`, `log_prob`,
  `sample`, ... to it; TFP's output has every attribute of a distribution.
  `x.tensor_distribution` reads `x.distribution`; other attributes of the
  distribution (`loc`, `mixture_distribution`, ...) are read on
  `x.distribution` where tfbsl does not forward them (marked (b)).
- (c) Keras 3 saves `.keras` files (no `save_format='h5'`), and loads Python
  lambdas with `safe_mode=False` only; `InputLayer(input_shape=)` is
  `InputLayer(shape=)`.
- `tf1.placeholder_with_default` (TFP's dynamic shapes) gives eager tensors,
  whose shapes are known: the `...DynamicShape` classes run as the static ones.
Other changes are marked in the tests with their class (b: a deliberate
difference of tfbsl; c: Keras 3 makes TFP's behaviour impossible).
"""

import functools
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1
import tensorflow_probability as tfp
from tensorflow_probability.python.distributions import mixture_same_family

import tfbsl
from tests.tfp_compat._compat import TFP_LAYERS_NAMES, TestCase, tfpl

tfd = tfp.distributions
tfb = tfp.bijectors
# TFP's tests check for the private base class (of `tfd.MixtureSameFamily` too).
_MixtureSameFamily = mixture_same_family._MixtureSameFamily


def _load_model(path):
    # (c) Keras 3 reloads Python lambdas with `safe_mode=False` only.
    return keras.models.load_model(path, safe_mode=False)


tfk = keras
tfkl = keras.layers


def _logit_avg_expit(t):
    """Computes `logit(mean(expit(t)))` in a numerically stable manner."""
    log_avg_prob = (
        tf.reduce_logsumexp(-tf.nn.softplus(-t), axis=0) -
        tf.math.log(tf.cast(tf.shape(t)[0], t.dtype)))
    return log_avg_prob - tf.math.log1p(-tf.exp(log_avg_prob))


def _vec_pad(x, value=0):
    """Prepends a column of zeros to a matrix."""
    paddings = tf.concat(
        [tf.zeros([tf.rank(x) - 1, 2], dtype=tf.int32), [[1, 0]]], axis=0)
    return tf.pad(x, paddings=paddings, constant_values=value)


def _unwrap_tensor_coercible(dist):
    # (c) tfbsl's layer output is a tensor carrying `.distribution` (TFP's, a
    # `_TensorCoercible` carrying `.tensor_distribution`). A distribution is
    # not unwrapped (`tfd.Independent` has a `.distribution` too).
    if isinstance(dist, tfd.Distribution):
        return dist
    inner_dist = getattr(dist, 'distribution', dist)
    if inner_dist is dist:
        return inner_dist
    return _unwrap_tensor_coercible(inner_dist)


class _Loss(keras.losses.Loss):
    """(c) Keras 3 casts the model output to the loss dtype (floatx, float32)
    before a loss function sees it; the cast of a float64 output is a new
    tensor, without the distribution ("'SymbolicTensor' object has no
    attribute 'log_prob'"). A float64 model's loss function is given as a
    `keras.losses.Loss` of dtype float64 (tf_keras casts `y_true` to the
    output's dtype instead)."""

    def __init__(self, fn, dtype):
        super().__init__(dtype=dtype)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def _get_adam_optimizer(learning_rate):
    # (c) Keras 3 has no `optimizers.legacy` (TFP's graph-mode branch).
    return keras.optimizers.Adam(learning_rate=learning_rate)


def test_exports():
    """Not one of TFP's tests: every name of `tfp.layers` is in `tfbsl.layers`."""
    missing = [name for name in TFP_LAYERS_NAMES if not hasattr(tfbsl.layers, name)]
    assert not missing, f"tfbsl.layers lacks {missing}"


# TODO(b/143642032): Figure out how to solve issues with save/load, so that we
# can decorate all of these tests with @test_util.test_all_tf_execution_regimes

class EndToEndTest(TestCase):
    """Test tfp.layers work in all three Keras APIs.

    For end-to-end tests we fit a Variational Autoencoder (VAE) because this
    requires chaining two Keras models, an encoder and decoder. Chaining two
    models is important because making a `Distribution` as output by a Keras model
    the input of another Keras model--and concurrently fitting both--is the
    primary value-add of using the `tfp.layers.DistributionLambda`. Otherwise,
    under many circumstances you can directly return a Distribution from a Keras
    layer, as long as the Distribution base class has a tensor conversion function
    registered via `tf.register_tensor_conversion_function`.

    Fundamentally, there are three ways to be Keras models:
    1. `keras.Sequential`
    2. Functional API
    3. Subclass `keras.Model`.

    Its important to have end-to-end tests for all three, because #1 and #2 call
    `__call__` and `call` differently. (#3's call pattern depends on user
    implementation details, but in general ends up being either #1 or #2.)
    """

    def setUp(self):
        self.encoded_size = 2
        self.input_shape = [2, 2, 1]
        # Runtime: TFP's 10000 and 1000 (no assertion depends on the sizes).
        self.train_size = 1000
        self.test_size = 100
        self.x = (np.random.rand(
            self.train_size, *self.input_shape) > 0.75).astype(np.float32)
        self.x_test = (np.random.rand(
            self.test_size, *self.input_shape) > 0.75).astype(np.float32)
        super().setUp()

    @pytest.mark.slow
    def test_keras_sequential_api(self):
        """Test `DistributionLambda`s are composable via Keras `Sequential` API."""

        prior_model = tfk.Sequential([
            tfpl.VariableLayer(shape=[self.encoded_size]),
            tfpl.DistributionLambda(
                lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1),  # pylint: disable=g-long-lambda
                                                  reinterpreted_batch_ndims=1)),
        ])

        beta = tf.Variable(0.9, name='beta')  # "beta" as in beta-VAE.

        encoder_model = tfk.Sequential([
            tfkl.InputLayer(shape=self.input_shape),
            tfkl.Flatten(),
            tfkl.Dense(tfpl.MultivariateNormalTriL.params_size(
                self.encoded_size)),
            tfpl.MultivariateNormalTriL(
                self.encoded_size,
                activity_regularizer=tfpl.KLDivergenceRegularizer(
                    prior_model, weight=beta)),
        ])

        decoder_model = tfk.Sequential([
            tfkl.InputLayer(shape=[self.encoded_size]),
            tfkl.Dense(tfpl.IndependentBernoulli.params_size(
                self.input_shape)),
            tfpl.IndependentBernoulli(
                self.input_shape, tfd.Bernoulli.logits),
        ])

        vae_model = tfk.Model(
            inputs=encoder_model.inputs,
            outputs=decoder_model(encoder_model.outputs[0]))

        self.assertLen(vae_model.trainable_weights, 4 + 1 + 1)

        def accuracy(x, rv_x):
            rv_x = getattr(rv_x, 'distribution', rv_x)
            return tf.reduce_mean(
                tf.cast(tf.equal(x, rv_x.mode()), x.dtype),
                axis=tf.range(-rv_x.event_shape.ndims, 0))

        optimizer = _get_adam_optimizer(learning_rate=0.5)
        vae_model.compile(
            optimizer=optimizer,
            loss=lambda x, rv_x: -rv_x.log_prob(x),
            metrics=[accuracy])


        vae_model.fit(self.x, self.x,
                      batch_size=25,
                      epochs=1,
                      verbose=True,
                      validation_data=(self.x_test, self.x_test),
                      shuffle=True)
        yhat = vae_model(tf.convert_to_tensor(self.x_test))
        self.assertIsInstance(yhat.distribution, tfd.Independent)
        self.assertIsInstance(
            yhat.distribution.distribution, tfd.Bernoulli)

    @pytest.mark.slow
    def test_keras_functional_api(self):
        """Test `DistributionLambda`s are composable via Keras functional API."""

        beta = tf.Variable(  # 0 vars since not trainable.
            0.9, trainable=False, name='beta')  # "beta" as in beta-VAE

        encoder_model = [
            tfkl.Flatten(),
            tfkl.Dense(10, activation='relu'),  # 2 vars
            tfkl.Dense(
                tfpl.MultivariateNormalTriL.params_size(  # 2 vars
                    self.encoded_size)),
            tfpl.MultivariateNormalTriL(self.encoded_size),
            tfpl.KLDivergenceAddLoss(
                tfd.Independent(
                    tfd.Normal(
                        loc=tf.Variable([0., 0.]),  # 1 var
                        scale=tfp.util.TransformedVariable(  # 1 var
                            1., bijector=tfb.Exp())),
                    reinterpreted_batch_ndims=1),
                weight=beta),
        ]

        decoder_model = [
            tfkl.Dense(10, activation='relu'),  # 2 vars
            tfkl.Dense(
                tfpl.IndependentBernoulli.params_size(  # 2 vars
                    self.input_shape)),
            tfpl.IndependentBernoulli(
                self.input_shape, tfd.Bernoulli.logits),
        ]

        images = tfkl.Input(shape=self.input_shape)
        encoded = functools.reduce(lambda x, f: f(x), encoder_model, images)
        decoded = functools.reduce(lambda x, f: f(x), decoder_model, encoded)

        vae_model = tfk.Model(inputs=images, outputs=decoded)
        vae_model.compile(
            optimizer='adam', loss=lambda x, rv_x: -rv_x.log_prob(x), metrics=[])
        self.assertLen(vae_model.trainable_weights, (2 + 2) + (2 + 2) + (1 + 1) + 0)
        vae_model.fit(self.x, self.x,
                      batch_size=25,
                      epochs=1,
                      verbose=True,
                      validation_data=(self.x_test, self.x_test),
                      shuffle=True)
        yhat = vae_model(tf.convert_to_tensor(self.x_test))
        self.assertIsInstance(yhat.distribution, tfd.Independent)
        self.assertIsInstance(
            yhat.distribution.distribution, tfd.Bernoulli)

    @pytest.mark.slow
    def test_keras_model_api(self):
        """Test `DistributionLambda`s are composable via Keras `Model` API."""

        class Encoder(tfk.Model):
            """Encoder."""

            def __init__(self, input_shape, encoded_size, train_size):
                super(Encoder, self).__init__()
                self._sub_layers = [
                    tfkl.Flatten(),
                    tfkl.Dense(10, activation='relu'),
                    tfkl.Dense(tfpl.MultivariateNormalTriL.params_size(
                        encoded_size)),
                    tfpl.MultivariateNormalTriL(encoded_size),
                    tfpl.KLDivergenceAddLoss(
                        tfd.Independent(
                            tfd.Normal(loc=tf.zeros(encoded_size), scale=1),
                            reinterpreted_batch_ndims=1),
                        weight=0.9),  # "beta" as in beta-VAE.
                ]

            def call(self, inputs):
                return functools.reduce(lambda x, f: f(x), self._sub_layers, inputs)

        class Decoder(tfk.Model):
            """Decoder."""

            def __init__(self, output_shape):
                super(Decoder, self).__init__()
                self._sub_layers = [
                    tfkl.Dense(10, activation='relu'),
                    tfkl.Dense(tfpl.IndependentBernoulli.params_size(
                        output_shape)),
                    tfpl.IndependentBernoulli(
                        output_shape, tfd.Bernoulli.logits),
                ]

            def call(self, inputs):
                return functools.reduce(lambda x, f: f(x), self._sub_layers, inputs)

        encoder = Encoder(self.input_shape, self.encoded_size, self.train_size)
        decoder = Decoder(self.input_shape)

        images = tfkl.Input(shape=self.input_shape)
        encoded = encoder(images)
        decoded = decoder(encoded)

        vae_model = tfk.Model(inputs=images, outputs=decoded)
        vae_model.compile(
            optimizer='adam', loss=lambda x, rv_x: -rv_x.log_prob(x), metrics=[])
        vae_model.fit(
            self.x,
            self.x,
            batch_size=25,
            epochs=1,
            validation_data=(self.x_test, self.x_test))
        yhat = vae_model(tf.convert_to_tensor(self.x_test))
        self.assertIsInstance(yhat.distribution, tfd.Independent)
        self.assertIsInstance(
            yhat.distribution.distribution, tfd.Bernoulli)

    @pytest.mark.slow
    def test_keras_sequential_api_multiple_draws(self):
        num_draws = 2

        encoder_model = tfk.Sequential([
            tfkl.InputLayer(shape=self.input_shape),
            tfkl.Flatten(),
            tfkl.Dense(10, activation='relu'),
            tfkl.Dense(tfpl.MultivariateNormalTriL.params_size(
                self.encoded_size)),
            tfpl.MultivariateNormalTriL(
                self.encoded_size, lambda s: s.sample(num_draws, seed=42)),
            tfpl.KLDivergenceAddLoss(
                tfd.MultivariateNormalDiag(
                    loc=tf.Variable(tf.zeros([self.encoded_size]))),
                weight=0.9),  # "beta" as in beta-VAE.
        ])

        decoder_model = tfk.Sequential([
            tfkl.InputLayer(shape=[None, self.encoded_size]),
            tfkl.Dense(10, activation='relu'),
            tfkl.Dense(tfpl.IndependentBernoulli.params_size(
                self.input_shape)),
            tfkl.Lambda(_logit_avg_expit),  # Same as averaging the Bernoullis.
            tfpl.IndependentBernoulli(
                self.input_shape, tfd.Bernoulli.logits),
        ])

        vae_model = tfk.Model(
            inputs=encoder_model.inputs,
            outputs=decoder_model(encoder_model.outputs[0]))
        vae_model.compile(
            optimizer='adam', loss=lambda x, rv_x: -rv_x.log_prob(x), metrics=[])
        self.assertLen(encoder_model.trainable_variables, (2 + 2) + 1)
        self.assertLen(decoder_model.trainable_variables, 2 + 2)
        self.assertLen(vae_model.trainable_variables, (2 + 2) + (2 + 2) + 1)
        vae_model.fit(self.x, self.x,
                      batch_size=25,
                      epochs=1,
                      steps_per_epoch=1,  # Usually `n // batch_size`.
                      validation_data=(self.x_test, self.x_test))
        yhat = vae_model(tf.convert_to_tensor(self.x_test))
        self.assertIsInstance(yhat.distribution, tfd.Independent)
        self.assertIsInstance(
            yhat.distribution.distribution, tfd.Bernoulli)

    def test_side_variable_is_auto_tracked(self):
        # `s` is the "side variable".
        s = tfp.util.TransformedVariable(1., tfb.Softplus())
        prior = tfd.Normal(tf.Variable(0.), 1.)
        linear_regression = keras.Sequential([
            keras.layers.Dense(1),
            tfpl.DistributionLambda(
                lambda t: tfd.Normal(t, s),
                activity_regularizer=tfpl.KLDivergenceRegularizer(
                    prior)),
        ])
        linear_regression.build(tf.TensorShape([1, 3]))
        self.assertLen(linear_regression.trainable_variables, 4)
        # (c) Keras 3 tracks `keras.Variable`s only: a `tf.Variable` is
        # tracked wrapped in one, whose `value` is the `tf.Variable`.
        self.assertIn(id(s.pretransformed_input),
                      [id(x.value) for x in linear_regression.trainable_variables])
        self.assertIn(id(prior.loc),
                      [id(x.value) for x in linear_regression.trainable_variables])


class DistributionLambdaSerializationTest(TestCase):

    def assertSerializable(self, model, batch_size=1):
        """Assert that a model can be saved/loaded via Keras Model.save/load_model.

        Args:
          model: A Keras model that outputs a `tfd.Distribution`.
          batch_size: The batch size to use when checking that the model produces
            the same results as a serialized/deserialized copy.  Default value: 1.
        """
        batch_shape = [batch_size]

        # (c) A Keras 3 Sequential model has no `model.input` before it is
        # called ('The layer sequential has never been called and thus has no
        # defined input'), but has `model.inputs`; shapes are tuples, dtypes
        # strings.
        input_shape = batch_shape + list(model.inputs[0].shape[1:])
        dtype = np.dtype(model.inputs[0].dtype)

        model_file = os.path.join(self.get_temp_dir(), 'model.keras')
        model.save(model_file)
        model_copy = _load_model(model_file)

        x = np.random.uniform(-3., 3., input_shape).astype(dtype)

        model_x_mean = self.evaluate(model(x).mean())
        self.assertAllEqual(model_x_mean, self.evaluate(model_copy(x).mean()))

        output_shape = model_x_mean.shape
        y = np.random.uniform(0., 1., output_shape).astype(dtype)

        self.assertAllEqual(self.evaluate(model(x).log_prob(y)),
                            self.evaluate(model_copy(x).log_prob(y)))

    def test_serialization(self):
        model = tfk.Sequential([
            tfkl.Dense(2, input_shape=(5,)),
            # pylint: disable=g-long-lambda
            tfpl.DistributionLambda(lambda t: tfd.Normal(
                loc=t[..., 0:1], scale=tf.exp(t[..., 1:2])))
        ])
        self.assertSerializable(model)

    @staticmethod
    def _make_distribution(t):
        return tfpl.MixtureSameFamily.new(
            t, 3, tfpl.IndependentNormal([2]))

    @pytest.mark.xfail(strict=True, reason=(
        "(b) tfbsl, as keras.layers.Lambda, saves a lambda's bytecode and "
        "reloads it with fixed globals (tf, tfp, tfd, tfb, keras, ops, np, "
        "tfbsl): the test class it names is undefined on reload (TFP "
        "cloudpickles the lambda with the globals it uses). Also (a): "
        "`MixtureSameFamily.new` is missing"))
    def test_serialization_static_method(self):
        model = tfk.Sequential([
            tfkl.Dense(15, input_shape=(5,)),
            tfpl.DistributionLambda(
                # pylint: disable=unnecessary-lambda
                lambda t: DistributionLambdaSerializationTest._make_distribution(t))
        ])
        model.compile(optimizer='adam', loss='mse')
        self.assertSerializable(model, batch_size=3)

    @pytest.mark.xfail(strict=True, reason=(
        "(b) tfbsl takes static event shapes only: `event_shape + one`, with `one` a "
        "tensor, is a graph tensor inside the traced call and is refused (Keras 3 "
        "needs static output shapes; TFP reads it at run time)"))
    def test_serialization_closure_over_lambdas_tensors_and_numpy_array(self):

        num_components = np.array(3)
        one = tf.convert_to_tensor(1)
        mk_ind_norm = lambda event_shape: tfpl.IndependentNormal(  # pylint:disable=g-long-lambda  # noqa: E731
            event_shape + one)
        def make_distribution(t):
            return tfpl.MixtureSameFamily.new(
                t, num_components, mk_ind_norm(1))

        model = tfk.Sequential([
            tfkl.Dense(15, input_shape=(5,)),
            tfpl.DistributionLambda(make_distribution)
        ])
        # (b) tfbsl, as Keras 3, saves a named function by name (TFP
        # cloudpickles it, closure and all): it is found on reload among the
        # custom objects, the very function with its closure.
        with keras.saving.CustomObjectScope({'make_distribution': make_distribution}):
            self.assertSerializable(model, batch_size=4)


class DistributionLambdaVariableCreation(TestCase):

    @pytest.mark.slow
    def test_variable_creation(self):
        conv1 = tfkl.Convolution2D(filters=1, kernel_size=[1, 3])
        conv2 = tfkl.Convolution2D(filters=1, kernel_size=[2, 1])
        pad1 = tfkl.ZeroPadding2D(padding=((0, 0), (1, 1)))
        pad2 = tfkl.ZeroPadding2D(padding=((1, 0), (0, 0)))

        loc = tfk.Sequential([conv1, pad1])
        scale = tfk.Sequential([conv2, pad2])

        x = tfkl.Input(shape=(3, 3, 1))

        norm = tfpl.DistributionLambda(
            lambda x: tfd.Normal(loc=loc(x), scale=tf.exp(scale(x))))
        norm._loc_net = loc
        norm._scale_net = scale

        model = tfk.Model(x, norm(x))  # pylint: disable=unused-variable
        model.compile(
            optimizer='adam', loss=lambda x, rv_x: -rv_x.log_prob(x), metrics=[])

        x_train = np.random.rand(1000, 3, 3, 1).astype(np.float32)
        x_test = np.random.rand(100, 3, 3, 1).astype(np.float32)
        model.fit(x_train, x_train,
                  batch_size=25,
                  epochs=5,
                  steps_per_epoch=10,
                  validation_data=(x_test, x_test))


class KLDivergenceAddLossTest(TestCase):

    @pytest.mark.slow
    def test_approx_kl(self):
        event_size = 2
        prior = tfd.MultivariateNormalDiag(loc=tf.zeros(event_size))

        model = tfk.Sequential([
            tfpl.MultivariateNormalTriL(
                event_size, lambda s: s.sample(int(1e3), seed=42)),
            tfpl.KLDivergenceAddLoss(
                prior, test_points_reduce_axis=0),
        ])

        loc = [-1., 1.]
        scale_tril = [[1.1, 0.],
                      [0.2, 1.3]]
        actual_kl = tfd.kl_divergence(
            tfd.MultivariateNormalTriL(loc, scale_tril), prior)

        # Insert a leading dimension to the input, such that the Keras
        # batch-shape in `model.fit` is the same for `x` and `y`.
        x = tf.concat(
            [loc, tfb.FillScaleTriL().inverse(scale_tril)],
            axis=0)[tf.newaxis]

        y = model(x)
        self.assertEqual(1, len(model.losses))
        y = model(x)
        # In eager mode, multiple calls won't append new losses.
        self.assertEqual(1 if tf.executing_eagerly() else 2, len(model.losses))

        # (b) tfbsl's output tensor forwards the distribution's methods
        # (`mean`, `log_prob`, ...), not its parameters: read them on
        # `y.distribution`.
        [loc_, scale_tril_, actual_kl_, approx_kl_] = self.evaluate([
            y.distribution.loc, y.distribution.scale.to_dense(), actual_kl,
            model.losses[0]])
        self.assertAllClose([loc], loc_, atol=0., rtol=1e-5)
        self.assertAllClose([scale_tril], scale_tril_, atol=0., rtol=1e-5)
        self.assertNear(actual_kl_, approx_kl_, err=0.15)

        model.compile(
            optimizer='adam',
            loss=lambda x, dist: -dist.log_prob(x[0, :, :event_size]),
            metrics=[])
        model.fit(x=x,
                  # Append a dimension to `y` to account for sample-shape.
                  y=x[tf.newaxis],
                  batch_size=25,
                  epochs=1,
                  steps_per_epoch=1)  # Usually `n // batch_size`.

    @pytest.mark.slow
    def test_use_exact_kl(self):
        event_size = 2
        prior = tfd.MultivariateNormalDiag(loc=tf.zeros(event_size))

        # Use a small number of samples because we want to verify that
        # we calculated the exact KL divergence and not the one from sampling.
        model = tfk.Sequential([
            tfpl.MultivariateNormalTriL(
                event_size, lambda s: s.sample(3, seed=42)),
            tfpl.KLDivergenceAddLoss(prior, use_exact_kl=True),
        ])

        loc = [-1., 1.]
        scale_tril = [[1.1, 0.],
                      [0.2, 1.3]]
        actual_kl = tfd.kl_divergence(
            tfd.MultivariateNormalTriL(loc, scale_tril), prior)

        # Insert a leading dimension to the input, such that the Keras
        # batch-shape in `model.fit` is the same for `x` and `y`.
        x = tf.concat(
            [loc, tfb.FillScaleTriL().inverse(scale_tril)],
            axis=0)[tf.newaxis]

        y = model(x)
        self.assertEqual(1, len(model.losses))
        y = model(x)
        # In eager mode, multiple calls won't append new losses.
        self.assertEqual(1 if tf.executing_eagerly() else 2, len(model.losses))

        # (b) tfbsl's output tensor forwards the distribution's methods
        # (`mean`, `log_prob`, ...), not its parameters: read them on
        # `y.distribution`.
        [loc_, scale_tril_, actual_kl_, evaluated_kl_] = self.evaluate([
            y.distribution.loc, y.distribution.scale.to_dense(), actual_kl,
            model.losses[0]])

        self.assertAllClose([loc], loc_, atol=0., rtol=1e-5)
        self.assertAllClose([scale_tril], scale_tril_, atol=0., rtol=1e-5)
        self.assertNear(actual_kl_, evaluated_kl_, err=1e-5)

        model.compile(
            optimizer='adam',
            loss=lambda x, dist: -dist.log_prob(x[0, :, :event_size]),
            metrics=[])
        model.fit(x=x,
                  # Append a dimension to `y` to account for sample-shape.
                  y=x[tf.newaxis],
                  batch_size=25,
                  epochs=1,
                  steps_per_epoch=1)  # Usually `n // batch_size`.


class MultivariateNormalTriLTest(TestCase):

    def _check_distribution(self, t, x):
        self.assertIsInstance(x, tfd.MultivariateNormalTriL)
        t_back = tf.concat([
            x.loc,
            tfb.FillScaleTriL().inverse(x.scale.to_dense())], axis=-1)
        self.assertAllClose(*self.evaluate([t, t_back]), atol=1e-6, rtol=1e-5)

    def test_new(self):
        d = 4
        p = tfpl.MultivariateNormalTriL.params_size(d)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = tfpl.MultivariateNormalTriL.new(t, d, validate_args=True)  # (a)
        self._check_distribution(t, x)

    def test_layer(self):
        d = 4
        p = tfpl.MultivariateNormalTriL.params_size(d)
        layer = tfpl.MultivariateNormalTriL(
            d, tfd.Distribution.mean)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = layer(t)
        self._check_distribution(t, x.distribution)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data.
        n = int(1e3)
        scale_tril = np.array([[1.6180, 0.],
                               [-2.7183, 3.1416]]).astype(np.float32)
        scale_noise = 0.01
        x = self.evaluate(tfd.Normal(loc=0, scale=1).sample([n, 2]))
        eps = tfd.Normal(loc=0, scale=scale_noise).sample([n, 2])
        y = self.evaluate(tf.matmul(x, scale_tril) + eps)
        d = y.shape[-1]

        # To save testing time, let's encode the answer (i.e., _cheat_). Note: in
        # writing this test we verified the correct answer is achieved with random
        # initialization.
        true_kernel = np.pad(scale_tril, [[0, 0], [0, 3]], 'constant')
        true_bias = np.array([0, 0, np.log(scale_noise), 0, np.log(scale_noise)])

        # Create model.
        model = keras.Sequential([
            keras.layers.Dense(
                tfpl.MultivariateNormalTriL.params_size(d),
                kernel_initializer=lambda s, **_: true_kernel,
                bias_initializer=lambda s, **_: true_bias),
            tfpl.MultivariateNormalTriL(d),
        ])

        # Fit.
        model.compile(
            optimizer='adam', loss=lambda y, model: -model.log_prob(y), metrics=[])
        batch_size = 100
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,  # One ping only.
                  steps_per_epoch=n // batch_size)
        self.assertAllClose(true_kernel, model.get_weights()[0],
                            atol=1e-2, rtol=1e-3)
        self.assertAllClose(true_bias, model.get_weights()[1],
                            atol=1e-2, rtol=1e-3)


class OneHotCategoricalTest(TestCase):

    def _check_distribution(self, t, x):
        self.assertIsInstance(x, tfd.OneHotCategorical)
        [t_, x_logits_, x_probs_, mean_] = self.evaluate([
            t, x.logits_parameter(), x.probs_parameter(), x.mean()])
        self.assertAllClose(t_, x_logits_, atol=1e-6, rtol=1e-5)
        self.assertAllClose(x_probs_, mean_, atol=1e-6, rtol=1e-5)

    def test_new(self):
        d = 4
        p = tfpl.OneHotCategorical.params_size(d)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = tfpl.OneHotCategorical.new(t, d, validate_args=True)
        self._check_distribution(t, x)

    def test_layer(self):
        d = 4
        p = tfpl.OneHotCategorical.params_size(d)
        layer = tfpl.OneHotCategorical(d, validate_args=True)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = layer(t)
        self._check_distribution(t, x.distribution)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data.
        n = int(1e4)
        scale_noise = 0.01
        x = self.evaluate(tfd.Normal(loc=0, scale=1).sample([n, 2]))
        eps = tfd.Normal(loc=0, scale=scale_noise).sample([n, 1])
        y = self.evaluate(tfd.OneHotCategorical(
            logits=_vec_pad(
                0.3142 + 1.6180 * x[..., :1] - 2.7183 * x[..., 1:] + eps),
            dtype=tf.float32).sample())
        d = y.shape[-1]

        # Create model.
        model = keras.Sequential([
            keras.layers.Dense(
                tfpl.OneHotCategorical.params_size(d) - 1),
            keras.layers.Lambda(_vec_pad),
            tfpl.OneHotCategorical(d),
        ])

        # Fit.
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.5),
            loss=lambda y, model: -model.log_prob(y),
            metrics=[])
        batch_size = 100
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=n // batch_size,
                  shuffle=True)


class CategoricalMixtureOfOneHotCategoricalTest(TestCase):

    def _check_distribution(self, t, x):
        self.assertIsInstance(_unwrap_tensor_coercible(x),
                              _MixtureSameFamily)  # pylint:disable=protected-access
        # (b) tfbsl's output tensor forwards the distribution's methods
        # (`mean`, `sample`, ...), not its other attributes
        # (`mixture_distribution`, `log_mean`, ...): read them on the
        # distribution.
        x = _unwrap_tensor_coercible(x)
        self.assertIsInstance(_unwrap_tensor_coercible(x.mixture_distribution),
                              tfd.Categorical)
        self.assertIsInstance(_unwrap_tensor_coercible(x.components_distribution),
                              tfd.OneHotCategorical)
        t_back = tf.concat([
            x.mixture_distribution.logits,
            tf.reshape(x.components_distribution.logits, shape=[2, 3, -1]),
        ], axis=-1)
        [
            t_,
            t_back_,
            x_mean_,
            x_log_mean_,
            samples_,
        ] = self.evaluate([
            t,
            t_back,
            x.mean(),
            x.log_mean(),
            x.sample(int(10e3), seed=42),
        ])
        self.assertAllClose(t_, t_back_, atol=1e-6, rtol=1e-5)
        self.assertAllClose(x_mean_, np.exp(x_log_mean_), atol=1e-6, rtol=1e-5)
        self.assertAllMeansClose(samples_, x_mean_, axis=0, atol=1e-3, rtol=0.1)

    def test_new(self):
        k = 2  # num components
        d = 4  # event size
        p = tfpl.CategoricalMixtureOfOneHotCategorical.params_size(
            d, k)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = tfpl.CategoricalMixtureOfOneHotCategorical.new(
            t, d, k, validate_args=True)
        self._check_distribution(t, x)

    def test_layer(self):
        k = 2  # num components
        d = 4  # event size
        p = tfpl.CategoricalMixtureOfOneHotCategorical.params_size(
            d, k)
        layer = tfpl.CategoricalMixtureOfOneHotCategorical(
            d, k, validate_args=True)
        t = tfd.Normal(0, 1).sample([2, 3, p], seed=42)
        x = layer(t)
        self._check_distribution(t, x)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data.
        n = int(1e3)
        scale_noise = 0.01
        x = self.evaluate(tfd.Normal(loc=0, scale=1).sample([n, 2]))
        eps = tfd.Normal(loc=0, scale=scale_noise).sample([n, 1])
        y = self.evaluate(tfd.OneHotCategorical(
            logits=_vec_pad(
                0.3142 + 1.6180 * x[..., :1] - 2.7183 * x[..., 1:] + eps),
            dtype=tf.float32).sample())
        d = y.shape[-1]

        # Create model.
        k = 2
        p = tfpl.CategoricalMixtureOfOneHotCategorical.params_size(
            d, k)
        model = keras.Sequential([
            keras.layers.Dense(p),
            tfpl.CategoricalMixtureOfOneHotCategorical(d, k),
        ])

        # Fit.
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.5),
            loss=lambda y, model: -model.log_prob(y),
            metrics=[])
        batch_size = 100
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=1,  # Usually `n // batch_size`.
                  shuffle=True)

        yhat = model(x)
        self.assertIsInstance(_unwrap_tensor_coercible(yhat),
                              _MixtureSameFamily)
        # (b) The tensor does not forward `mixture_distribution` /
        # `components_distribution`: read them on its distribution.
        self.assertIsInstance(
            _unwrap_tensor_coercible(_unwrap_tensor_coercible(yhat).mixture_distribution),
            tfd.Categorical)
        self.assertIsInstance(
            _unwrap_tensor_coercible(_unwrap_tensor_coercible(yhat).components_distribution),
            tfd.OneHotCategorical)
        # TODO(b/120221303): For now we just check that the code executes and we get
        # back a distribution instance. Better would be to change the data
        # generation so the model becomes well-specified (and we can check correctly
        # fitted params). However, not doing this test is not critical since all
        # components are unit-tested. (Ie, what we really want here--but don't
        # strictly need--is another end-to-end test.)


class _IndependentLayerTest:
    """Base class for testing independent distribution layers.

    Instances of subclasses must set:
      self.layer_class: The independent distribution layer class.
      self.dist_class: The underlying `tfd.Distribution` class.
      self.dtype: The data type for the parameters passed to the layer.
      self.use_static_shape: Whether or not test tensor inputs should have
        statically-known shapes.
    """

    def _distribution_to_params(self, distribution, batch_shape):
        """Given a self.layer_class instance, return a tensor of its parameters."""
        raise NotImplementedError

    def _build_tensor(self, ndarray, dtype=None):
        # Enforce parameterized dtype and static/dynamic testing.
        ndarray = np.asarray(ndarray).astype(
            dtype if dtype is not None else self.dtype)
        return tf1.placeholder_with_default(
            ndarray, shape=ndarray.shape if self.use_static_shape else None)

    def _check_distribution(self, t, x, batch_shape):
        self.assertIsInstance(x, tfd.Independent)
        self.assertIsInstance(x.distribution, self.dist_class)
        self.assertEqual(self.dtype, x.dtype)
        t_back = self._distribution_to_params(x.distribution, batch_shape)
        [t_, t_back_] = self.evaluate([t, t_back])
        self.assertAllClose(t_, t_back_, atol=1e-6, rtol=1e-5)
        self.assertEqual(self.dtype, t_back_.dtype)

    def test_new(self):
        batch_shape = self._build_tensor([2], dtype=np.int32)
        event_shape = self._build_tensor([2, 1, 2], dtype=np.int32)
        p = self.layer_class.params_size(event_shape)

        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)

        x = self.layer_class.new(t, event_shape, validate_args=True)
        self._check_distribution(t, x, batch_shape)

    def test_layer(self):
        batch_shape = self._build_tensor([5, 5], dtype=np.int32)
        p = self.layer_class.params_size()
        # (b) tfbsl's `params_size` returns a Python int (for `Dense(units)`),
        # TFP's an int32 tensor.
        self.assertIsInstance(p, int)

        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)

        layer = self.layer_class(validate_args=True, dtype=self.dtype)
        x = layer(t)
        self._check_distribution(t, x.distribution, batch_shape)

    def test_serialization(self):
        event_shape = []
        params_size = self.layer_class.params_size(event_shape)
        batch_shape = [4, 1]

        low = self._build_tensor(-3., dtype=self.dtype)
        high = self._build_tensor(3., dtype=self.dtype)
        x = self.evaluate(tfd.Uniform(low, high).sample(
            batch_shape + [params_size], seed=42))

        model = tfk.Sequential([
            tfkl.Dense(params_size, input_shape=batch_shape[1:] + [params_size],
                       dtype=self.dtype),
            self.layer_class(event_shape, validate_args=True, dtype=self.dtype),
        ])

        model_file = os.path.join(self.get_temp_dir(), 'model.keras')
        model.save(model_file)
        model_copy = _load_model(model_file)

        self.assertAllEqual(self.evaluate(model(x).mean()),
                            self.evaluate(model_copy(x).mean()))

        self.assertEqual(self.dtype, model(x).mean().dtype.as_numpy_dtype)

        ones = np.ones([7] + batch_shape + event_shape, dtype=self.dtype)
        # (b) tfbsl's forwarded `log_prob` takes values of the shape
        # `batch_shape + event_shape` and refuses others, which would
        # broadcast; values with sample axes go to `.distribution.log_prob`.
        self.assertAllEqual(self.evaluate(model(x).distribution.log_prob(ones)),
                            self.evaluate(model_copy(x).distribution.log_prob(ones)))


class _IndependentBernoulliTest(_IndependentLayerTest):
    layer_class = tfpl.IndependentBernoulli
    dist_class = tfd.Bernoulli

    def _distribution_to_params(self, distribution, batch_shape):
        return tf.reshape(distribution.logits,
                          tf.concat([batch_shape, [-1]], axis=-1))

    def test_new(self):
        super().test_new()

    def test_layer(self):
        super().test_layer()


class IndependentBernoulliTestDynamicShape(TestCase,
                                           _IndependentBernoulliTest):
    dtype = np.float64
    use_static_shape = False


class IndependentBernoulliTestStaticShape(TestCase,
                                          _IndependentBernoulliTest):
    dtype = np.float32
    use_static_shape = True

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data.
        n = int(1e4)
        scale_tril = np.array([[1.6180, 0.],
                               [-2.7183, 3.1416]]).astype(np.float32)
        scale_noise = 0.01
        x = self.evaluate(tfd.Normal(loc=0, scale=1).sample([n, 2]))
        eps = tfd.Normal(loc=0, scale=scale_noise).sample([n, 2])
        y = self.evaluate(tfd.Bernoulli(
            logits=tf.reshape(tf.matmul(x, scale_tril) + eps,
                              shape=[n, 1, 2, 1])).sample())
        event_shape = y.shape[1:]

        # Create model.
        model = keras.Sequential([
            keras.layers.Dense(
                tfpl.IndependentBernoulli.params_size(event_shape)),
            tfpl.IndependentBernoulli(event_shape),
        ])

        # Fit.
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.5),
            loss=lambda y, model: -model.log_prob(y))
        batch_size = 10000
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=100,
                  shuffle=True)
        self.assertAllClose(scale_tril, model.get_weights()[0],
                            atol=0.15, rtol=0.15)
        self.assertAllClose([0., 0.], model.get_weights()[1],
                            atol=0.15, rtol=0.15)


class _IndependentLogisticTest(_IndependentLayerTest):
    layer_class = tfpl.IndependentLogistic
    dist_class = tfd.Logistic

    def _distribution_to_params(self, distribution, batch_shape):
        return tf.concat([
            tf.reshape(distribution.loc, tf.concat([batch_shape, [-1]], axis=-1)),
            tfp.math.softplus_inverse(tf.reshape(
                distribution.scale, tf.concat([batch_shape, [-1]], axis=-1)))
        ], -1)


class IndependentLogisticTestDynamicShape(TestCase,
                                          _IndependentLogisticTest):
    dtype = np.float32
    use_static_shape = False


class IndependentLogisticTestStaticShape(TestCase,
                                         _IndependentLogisticTest):
    dtype = np.float64
    use_static_shape = True

    def test_doc_string(self):
        input_shape = [28, 28, 1]
        encoded_shape = 2
        encoder = tfk.Sequential([
            tfkl.InputLayer(shape=input_shape, dtype=self.dtype),
            tfkl.Flatten(dtype=self.dtype),
            tfkl.Dense(10, activation='relu', dtype=self.dtype),
            tfkl.Dense(tfpl.IndependentLogistic.params_size(
                encoded_shape), dtype=self.dtype),
            tfpl.IndependentLogistic(encoded_shape, dtype=self.dtype),
            tfkl.Lambda(lambda x: x + 0.,  # To force conversion to tensor.
                        dtype=self.dtype)
        ])

        # Test that we can run the model and get a sample.
        x = np.random.randn(*([1] + input_shape)).astype(self.dtype)
        self.assertEqual((1, 2), encoder.predict_on_batch(x).shape)

        out = encoder(tf.convert_to_tensor(x))
        self.assertEqual((1, 2), out.shape)
        self.assertEqual((1, 2), self.evaluate(out).shape)
        self.assertEqual(self.dtype, out.dtype)


class _IndependentNormalTest(_IndependentLayerTest):
    layer_class = tfpl.IndependentNormal
    dist_class = tfd.Normal

    def _distribution_to_params(self, distribution, batch_shape):
        return tf.concat([
            tf.reshape(distribution.loc, tf.concat([batch_shape, [-1]], axis=-1)),
            tfp.math.softplus_inverse(tf.reshape(
                distribution.scale, tf.concat([batch_shape, [-1]], axis=-1)))
        ], -1)

    def test_keras_sequential_with_unknown_input_size(self):
        input_shape = [28, 28, 1]
        encoded_shape = self._build_tensor([2], dtype=np.int32)
        params_size = tfpl.IndependentNormal.params_size(
            encoded_shape)

        def reshape(x):
            return tf.reshape(
                x, tf.concat([tf.shape(x)[:-1], [-1, params_size]], 0))

        # Test a Sequential model where the input to IndependentNormal does not have
        # a statically-known shape.
        encoder = tfk.Sequential([
            tfkl.InputLayer(shape=input_shape, dtype=self.dtype),
            tfkl.Flatten(dtype=self.dtype),
            tfkl.Dense(12, activation='relu', dtype=self.dtype),
            tfkl.Lambda(reshape, dtype=self.dtype),
            # When encoded_shape/params_size are placeholders, the input to the
            # IndependentNormal has shape (?, ?, ?) or (1, ?, ?), depending on
            # whether or not encoded_shape's shape is known.
            tfpl.IndependentNormal(encoded_shape, dtype=self.dtype),
            tfkl.Lambda(lambda x: x + 0.,  # To force conversion to tensor.
                        dtype=self.dtype)
        ])

        x = np.random.randn(*([1] + input_shape)).astype(self.dtype)
        self.assertEqual((1, 3, 2), encoder.predict_on_batch(x).shape)

        out = encoder(tf.convert_to_tensor(x))
        if tf.executing_eagerly():
            self.assertEqual((1, 3, 2), out.shape)
        elif self.use_static_shape:
            self.assertEqual([1, None, None], out.shape.as_list())
        self.assertEqual((1, 3, 2), self.evaluate(out).shape)
        self.assertEqual(self.dtype, out.dtype)


class IndependentNormalTestDynamicShape(TestCase,
                                        _IndependentNormalTest):
    dtype = np.float32
    use_static_shape = False


class IndependentNormalTestStaticShape(TestCase,
                                       _IndependentNormalTest):
    dtype = np.float64
    use_static_shape = True

    def test_doc_string(self):
        input_shape = [28, 28, 1]
        encoded_shape = 2
        encoder = tfk.Sequential([
            tfkl.InputLayer(shape=input_shape, dtype=self.dtype),
            tfkl.Flatten(dtype=self.dtype),
            tfkl.Dense(10, activation='relu', dtype=self.dtype),
            tfkl.Dense(
                tfpl.IndependentNormal.params_size(encoded_shape),
                dtype=self.dtype),
            tfpl.IndependentNormal(encoded_shape, dtype=self.dtype),
            tfkl.Lambda(lambda x: x + 0.,  # To force conversion to tensor.
                        dtype=self.dtype)
        ])

        # Test that we can run the model and get a sample.
        x = np.random.randn(*([1] + input_shape)).astype(self.dtype)
        self.assertEqual((1, 2), encoder.predict_on_batch(x).shape)

        out = encoder(tf.convert_to_tensor(x))
        self.assertEqual((1, 2), out.shape)
        self.assertEqual((1, 2), self.evaluate(out).shape)
        self.assertEqual(self.dtype, out.dtype)


class _IndependentPoissonTest(_IndependentLayerTest):
    layer_class = tfpl.IndependentPoisson
    dist_class = tfd.Poisson

    def _distribution_to_params(self, distribution, batch_shape):
        return tf.reshape(distribution.log_rate,
                          tf.concat([batch_shape, [-1]], axis=-1))


class IndependentPoissonTestDynamicShape(TestCase,
                                         _IndependentPoissonTest):
    dtype = np.float32
    use_static_shape = False


class IndependentPoissonTestStaticShape(TestCase,
                                        _IndependentPoissonTest):
    dtype = np.float64
    use_static_shape = True

    @pytest.mark.slow
    def test_doc_string(self):
        # Create example data.
        n = 2000
        d = 4
        x = self.evaluate(tfd.Uniform(low=1., high=10.).sample([n, d], seed=42))
        w = [[0.314], [0.272], [-0.162], [0.058]]
        log_rate = tf.matmul(x, w) - 0.141
        y = self.evaluate(tfd.Poisson(log_rate=log_rate).sample())

        # Poisson regression.
        model = tfk.Sequential([
            tfkl.Dense(tfpl.IndependentPoisson.params_size(1),
                       dtype=self.dtype),
            tfpl.IndependentPoisson(1, dtype=self.dtype)
        ])

        # Fit.
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.05),
            loss=_Loss(lambda y, model: -model.log_prob(y), self.dtype),  # (c)
            metrics=[])
        batch_size = 50

        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=1,  # Usually `n // batch_size`.
                  verbose=True,
                  shuffle=True)


class _MixtureLayerTest:
    """Base class for testing mixture (same-family) distribution layers.

    Instances of subclasses must set:
      self.layer_class: The mixture distribution layer class.
      self.dist_class: The underlying component `tfd.Distribution` class.
      self.dtype: The data type for the parameters passed to the layer.
      self.use_static_shape: Whether or not test tensor inputs should have
        statically-known shapes.
    """

    def _distribution_to_params(self, distribution, batch_shape):
        """Given a self.layer_class instance, return a tensor of its parameters."""
        raise NotImplementedError

    def _build_tensor(self, ndarray, dtype=None):
        # Enforce parameterized dtype and static/dynamic testing.
        ndarray = np.asarray(ndarray).astype(
            dtype if dtype is not None else self.dtype)
        return tf1.placeholder_with_default(
            ndarray, shape=ndarray.shape if self.use_static_shape else None)

    def _check_distribution(self, t, x, batch_shape):
        self.assertIsInstance(_unwrap_tensor_coercible(x),
                              _MixtureSameFamily)  # pylint: disable=protected-access
        # (b) tfbsl's output tensor forwards the distribution's methods
        # (`mean`, `log_prob`, ...), not its other attributes
        # (`mixture_distribution`, ...): read them on the distribution.
        x = _unwrap_tensor_coercible(x)
        self.assertIsInstance(
            _unwrap_tensor_coercible(
                x.mixture_distribution), tfd.Categorical)
        self.assertIsInstance(
            _unwrap_tensor_coercible(
                x.components_distribution), tfd.Independent)
        self.assertIsInstance(
            _unwrap_tensor_coercible(x.components_distribution.distribution),
            self.dist_class)
        self.assertEqual(self.dtype, x.dtype)

        t_back = self._distribution_to_params(x, batch_shape)
        [t_, t_back_] = self.evaluate([t, t_back])
        self.assertAllClose(t_, t_back_, atol=1e-6, rtol=1e-5)
        self.assertEqual(self.dtype, t_back_.dtype)

    def test_new(self):
        n = self._build_tensor(4, dtype=np.int32)
        event_shape = self._build_tensor(3, dtype=np.int32)
        p = self.layer_class.params_size(n, event_shape)

        batch_shape = self._build_tensor([4, 2], dtype=np.int32)
        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)

        x = self.layer_class.new(t, n, event_shape, validate_args=True)
        self._check_distribution(t, x, batch_shape)

    def test_layer(self):
        n = self._build_tensor(3, dtype=np.int32)
        event_shape = self._build_tensor([4, 2], dtype=np.int32)
        p = self.layer_class.params_size(n, event_shape)

        batch_shape = self._build_tensor([7, 3], dtype=np.int32)
        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)

        layer = self.layer_class(n, event_shape, validate_args=True,
                                 dtype=self.dtype)
        x = layer(t)
        self._check_distribution(t, x, batch_shape)

    @pytest.mark.slow
    def test_serialization(self):
        n = 3
        event_shape = []
        params_size = self.layer_class.params_size(n, event_shape)
        batch_size = 7

        low = self._build_tensor(-3., dtype=self.dtype)
        high = self._build_tensor(3., dtype=self.dtype)
        x = self.evaluate(tfd.Uniform(low, high).sample(
            [batch_size] + [params_size], seed=42))

        model = tfk.Sequential([
            tfkl.Dense(params_size, input_shape=(params_size,), dtype=self.dtype),
            self.layer_class(n, event_shape, validate_args=True, dtype=self.dtype),
        ])

        model_file = os.path.join(self.get_temp_dir(), 'model.keras')
        model.save(model_file)
        model_copy = _load_model(model_file)

        self.assertAllEqual(self.evaluate(model(x).mean()),
                            self.evaluate(model_copy(x).mean()))

        self.assertEqual(self.dtype, model(x).mean().dtype.as_numpy_dtype)

        ones = np.ones([3, 2] + [batch_size] + event_shape, dtype=self.dtype)
        # (b) tfbsl's forwarded `log_prob` takes values of the shape
        # `batch_shape + event_shape` and refuses others, which would
        # broadcast; values with sample axes go to `.distribution.log_prob`.
        self.assertAllEqual(self.evaluate(model(x).distribution.log_prob(ones)),
                            self.evaluate(model_copy(x).distribution.log_prob(ones)))


class _MixtureLogisticTest(_MixtureLayerTest):
    layer_class = tfpl.MixtureLogistic
    dist_class = tfd.Logistic

    def _distribution_to_params(self, distribution, batch_shape):
        """Given a self.layer_class instance, return a tensor of its parameters."""
        params_shape = tf.concat([batch_shape, [-1]], axis=0)
        batch_and_n_shape = tf.concat(
            [tf.shape(distribution.mixture_distribution.logits), [-1]],
            axis=0)
        cd = distribution.components_distribution.distribution
        return tf.concat([
            distribution.mixture_distribution.logits,
            tf.reshape(tf.concat([
                tf.reshape(cd.loc, batch_and_n_shape),
                tf.reshape(tfp.math.softplus_inverse(cd.scale), batch_and_n_shape)
            ], axis=-1), params_shape),
        ], axis=-1)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data (graph of a cardioid).
        n = 2000
        t = self.evaluate(tfd.Uniform(low=-np.pi, high=np.pi).sample([n, 1]))
        r = 2 * (1 - tf.cos(t))
        x = tf.convert_to_tensor(self.evaluate(
            r * tf.sin(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))
        y = tf.convert_to_tensor(self.evaluate(
            r * tf.cos(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))

        # Model the distribution of y given x with a Mixture Density Network.
        event_shape = self._build_tensor([1], dtype=np.int32)
        num_components = self._build_tensor(5, dtype=np.int32)
        params_size = tfpl.MixtureNormal.params_size(
            num_components, event_shape)
        model = tfk.Sequential([
            tfkl.Dense(12, activation='relu'),
            # NOTE: We must hard-code 15 below, instead of using `params_size`,
            # because the first argument to `tfkl.Dense` must be an integer (and
            # not, e.g., a placeholder tensor).
            tfkl.Dense(15, activation=None),
            tfpl.MixtureLogistic(num_components, event_shape),
        ])

        # Fit.
        batch_size = 100
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.02),
            loss=lambda y, model: -model.log_prob(y))
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=n // batch_size)

        self.assertEqual(15, self.evaluate(tf.convert_to_tensor(params_size)))


class MixtureLogisticTestDynamicShape(TestCase,
                                      _MixtureLogisticTest):
    dtype = np.float64
    use_static_shape = False


class MixtureLogisticTestStaticShape(TestCase,
                                     _MixtureLogisticTest):
    dtype = np.float32
    use_static_shape = True


class _MixtureNormalTest(_MixtureLayerTest):
    layer_class = tfpl.MixtureNormal
    dist_class = tfd.Normal

    def _distribution_to_params(self, distribution, batch_shape):
        """Given a self.layer_class instance, return a tensor of its parameters."""
        params_shape = tf.concat([batch_shape, [-1]], axis=0)
        batch_and_n_shape = tf.concat(
            [tf.shape(distribution.mixture_distribution.logits), [-1]],
            axis=0)
        cd = distribution.components_distribution.distribution
        return tf.concat([
            distribution.mixture_distribution.logits,
            tf.reshape(tf.concat([
                tf.reshape(cd.loc, batch_and_n_shape),
                tf.reshape(tfp.math.softplus_inverse(cd.scale), batch_and_n_shape)
            ], axis=-1), params_shape),
        ], axis=-1)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data (graph of a cardioid).
        n = 2000
        t = self.evaluate(tfd.Uniform(low=-np.pi, high=np.pi).sample([n, 1]))
        r = 2 * (1 - tf.cos(t))
        x = tf.convert_to_tensor(self.evaluate(
            r * tf.sin(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))
        y = tf.convert_to_tensor(self.evaluate(
            r * tf.cos(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))

        # Model the distribution of y given x with a Mixture Density Network.
        event_shape = self._build_tensor([1], dtype=np.int32)
        num_components = self._build_tensor(5, dtype=np.int32)
        params_size = tfpl.MixtureNormal.params_size(
            num_components, event_shape)
        model = tfk.Sequential([
            tfkl.Dense(12, activation='relu'),
            # NOTE: We must hard-code 15 below, instead of using `params_size`,
            # because the first argument to `tfkl.Dense` must be an integer (and
            # not, e.g., a placeholder tensor).
            tfkl.Dense(15, activation=None),
            tfpl.MixtureNormal(num_components, event_shape),
        ])

        # Fit.
        batch_size = 100
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.02),
            loss=lambda y, model: -model.log_prob(y))
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=n // batch_size)

        self.assertEqual(15, self.evaluate(tf.convert_to_tensor(params_size)))


class MixtureNormalTestDynamicShape(TestCase,
                                    _MixtureNormalTest):
    dtype = np.float32
    use_static_shape = False


class MixtureNormalTestStaticShape(TestCase,
                                   _MixtureNormalTest):
    dtype = np.float64
    use_static_shape = True


class _MixtureSameFamilyTest:

    def _build_tensor(self, ndarray, dtype=None):
        # Enforce parameterized dtype and static/dynamic testing.
        ndarray = np.asarray(ndarray).astype(
            dtype if dtype is not None else self.dtype)
        return tf1.placeholder_with_default(
            ndarray, shape=ndarray.shape if self.use_static_shape else None)

    def _check_distribution(self, t, x, batch_shape):
        self.assertIsInstance(_unwrap_tensor_coercible(x),
                              _MixtureSameFamily)  # pylint:disable=protected-access
        # (b) tfbsl's output tensor forwards the distribution's methods
        # (`mean`, `log_prob`, ...), not its other attributes
        # (`mixture_distribution`, ...): read them on the distribution.
        x = _unwrap_tensor_coercible(x)
        self.assertIsInstance(
            _unwrap_tensor_coercible(x.mixture_distribution), tfd.Categorical)
        self.assertIsInstance(
            _unwrap_tensor_coercible(x.components_distribution),
            tfd.MultivariateNormalTriL)

        shape = tf.concat([batch_shape, [-1]], axis=0)
        batch_and_n_shape = tf.concat(
            [tf.shape(x.mixture_distribution.logits), [-1]], axis=0)
        cd = x.components_distribution
        scale_tril = tfb.FillScaleTriL(
            diag_shift=np.array(1e-5, self.dtype))
        t_back = tf.concat([
            x.mixture_distribution.logits,
            tf.reshape(tf.concat([
                tf.reshape(cd.loc, batch_and_n_shape),
                tf.reshape(
                    scale_tril.inverse(cd.scale.to_dense()),
                    batch_and_n_shape),
            ], axis=-1), shape),
        ], axis=-1)
        [t_, t_back_] = self.evaluate([t, t_back])
        self.assertAllClose(t_, t_back_, atol=1e-6, rtol=1e-5)

    def test_new(self):
        n = self._build_tensor(4, dtype=np.int32)
        batch_shape = self._build_tensor([4, 2], dtype=np.int32)
        event_size = self._build_tensor(3, dtype=np.int32)
        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        cps = tfpl.MultivariateNormalTriL.params_size(event_size)
        p = tfpl.MixtureSameFamily.params_size(n, cps)

        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)
        normal = tfpl.MultivariateNormalTriL(
            event_size, validate_args=True, dtype=self.dtype)
        x = tfpl.MixtureSameFamily.new(
            t, n, normal, validate_args=True)
        self._check_distribution(t, x, batch_shape)

    def test_layer(self):
        n = self._build_tensor(3, dtype=np.int32)
        batch_shape = self._build_tensor([7, 3], dtype=np.int32)
        event_size = self._build_tensor(4, dtype=np.int32)
        low = self._build_tensor(-3.)
        high = self._build_tensor(3.)
        cps = tfpl.MultivariateNormalTriL.params_size(event_size)
        p = tfpl.MixtureSameFamily.params_size(n, cps)

        normal = tfpl.MultivariateNormalTriL(
            event_size, validate_args=True, dtype=self.dtype)
        layer = tfpl.MixtureSameFamily(
            n, normal, validate_args=True, dtype=self.dtype)
        t = tfd.Uniform(low, high).sample(
            tf.concat([batch_shape, [p]], 0), seed=42)
        x = layer(t)
        self._check_distribution(t, x, batch_shape)

    @pytest.mark.slow
    def test_doc_string(self):
        # Load data (graph of a cardioid).
        n = 2000
        t = self.evaluate(tfd.Uniform(low=-np.pi, high=np.pi).sample([n, 1]))
        r = 2 * (1 - tf.cos(t))
        x = tf.convert_to_tensor(self.evaluate(
            r * tf.sin(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))
        y = tf.convert_to_tensor(self.evaluate(
            r * tf.cos(t) + tfd.Normal(loc=0., scale=0.1).sample([n, 1])))

        # Model the distribution of y given x with a Mixture Density Network.
        event_shape = self._build_tensor([1], dtype=np.int32)
        num_components = self._build_tensor(5, dtype=np.int32)
        params_size = tfpl.MixtureSameFamily.params_size(
            num_components,
            tfpl.IndependentNormal.params_size(event_shape))
        model = tfk.Sequential([
            tfkl.Dense(12, activation='relu'),
            # NOTE: We must hard-code 15 below, instead of using `params_size`,
            # because the first argument to `tfkl.Dense` must be an integer (and
            # not, e.g., a placeholder tensor).
            tfkl.Dense(15, activation=None),
            tfpl.MixtureSameFamily(
                num_components, tfpl.IndependentNormal(event_shape)),
        ])

        # Fit.
        batch_size = 100
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.02),
            loss=lambda y, model: -model.log_prob(y))
        model.fit(x, y,
                  batch_size=batch_size,
                  epochs=1,
                  steps_per_epoch=1)  # Usually `n // batch_size`.

        self.assertEqual(15, self.evaluate(tf.convert_to_tensor(params_size)))


class MixtureSameFamilyTestDynamicShape(TestCase,
                                        _MixtureSameFamilyTest):
    dtype = np.float32
    use_static_shape = False


class MixtureSameFamilyTestStaticShape(TestCase,
                                       _MixtureSameFamilyTest):
    dtype = np.float64
    use_static_shape = True

    def test_new(self):
        super().test_new()

    def test_layer(self):
        super().test_layer()


class VariationalGaussianProcessEndToEnd(TestCase):

    @pytest.mark.slow
    def testEndToEnd(self):
        np.random.seed(43)
        dtype = np.float64

        n = 1000
        w0 = 0.125
        b0 = 5.
        x_range = [-20, 60]

        def s(x):
            g = (x - x_range[0]) / (x_range[1] - x_range[0])
            return 3*(0.25 + g**2.)

        x = (x_range[1] - x_range[0]) * np.random.rand(n) + x_range[0]
        eps = np.random.randn(n) * s(x)
        y = (w0 * x * (1 + np.sin(x)) + b0) + eps
        x0 = np.linspace(*x_range, num=1000)

        class KernelFn(keras.layers.Layer):

            def __init__(self, **kwargs):
                super(KernelFn, self).__init__(**kwargs)

                self._amplitude = self.add_weight(
                    initializer=keras.initializers.constant(.54),
                    dtype=dtype,
                    name='amplitude')

            def call(self, x):
                return x

            @property
            def kernel(self):
                return tfp.math.psd_kernels.ExponentiatedQuadratic(
                    amplitude=tf.nn.softplus(self._amplitude))

        num_inducing_points = 50

        # Add a leading dimension for the event_shape.
        eyes = np.expand_dims(np.eye(num_inducing_points), 0)
        variational_inducing_observations_scale_initializer = (
            keras.initializers.constant(1e-3 * eyes))

        model = keras.Sequential([
            keras.layers.InputLayer(shape=[1], dtype=dtype),
            keras.layers.Dense(1, kernel_initializer='Ones', use_bias=False,
                                  activation=None, dtype=dtype),
            tfpl.VariationalGaussianProcess(
                num_inducing_points=num_inducing_points,
                kernel_provider=KernelFn(dtype=dtype),
                inducing_index_points_initializer=(
                    keras.initializers.constant(
                        np.linspace(*x_range,
                                    num=num_inducing_points,
                                    dtype=dtype)[..., np.newaxis])),
                variational_inducing_observations_scale_initializer=(
                    variational_inducing_observations_scale_initializer)),
        ])

        batch_size = 64
        kl_weight = np.float64(batch_size) / n
        loss = lambda y, d: d.variational_loss(y, kl_weight=kl_weight)  # noqa: E731
        model.compile(
            optimizer=_get_adam_optimizer(learning_rate=0.02),
            loss=_Loss(loss, dtype))  # (c)


        # This should have no issues
        model.fit(x, y, epochs=5, batch_size=batch_size, verbose=False)

        vgp = model(x0[..., tf.newaxis])
        num_samples = 7
        samples_ = self.evaluate(vgp.sample(num_samples))
        self.assertAllEqual(samples_.shape, (7, 1000, 1))
        self.assertEqual(dtype, vgp.dtype)


