import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfbsl
from tests.conformance import check_model_conformance
from tfbsl.layers import (
    Categorical,
    IndependentBernoulli,
    IndependentNormal,
)

tfd = tfp.distributions
RNG = np.random.default_rng(2)


def test_matches_minus_log_prob_and_does_not_broadcast_flat_targets():
    params = RNG.normal(size=(8, 2)).astype("float32")
    y = RNG.normal(size=(8,)).astype("float32")
    out = IndependentNormal(1)(params)
    expected = -np.mean(tfd.Normal(params[:, 0], tf.nn.softplus(params[:, 1])).log_prob(y))
    loss = tfbsl.losses.NegativeLogLikelihood()
    np.testing.assert_allclose(float(loss(y[:, None], out)), expected, rtol=1e-5)
    # A (batch,) target for a (batch, 1) event: the same value, not a
    # (batch, batch) broadcast.
    np.testing.assert_allclose(float(loss(y, out)), expected, rtol=1e-5)


def test_categorical_column_labels():
    logits = RNG.normal(size=(6, 3)).astype("float32")
    labels = np.array([0, 1, 2, 2, 1, 0])
    expected = -np.mean(tfd.Categorical(logits=logits).log_prob(labels))
    loss = tfbsl.losses.NegativeLogLikelihood()
    out = Categorical(3)(logits)
    np.testing.assert_allclose(float(loss(labels[:, None], out)), expected, rtol=1e-5)
    np.testing.assert_allclose(float(loss(labels, out)), expected, rtol=1e-5)


def test_plain_tensor_prediction_is_a_value_error():
    with pytest.raises(ValueError, match="y_pred.*distribution layer"):
        tfbsl.losses.NegativeLogLikelihood()(np.zeros((2, 1)), tf.zeros((2, 1)))


def test_config_round_trip():
    loss = tfbsl.losses.NegativeLogLikelihood(reduction="sum", name="nll")
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, tfbsl.losses.NegativeLogLikelihood)
    assert restored.get_config() == loss.get_config()


# tests/test_distribution_layers.py covers the other heads with a lambda loss.
@pytest.mark.slow
@pytest.mark.parametrize("head,target", [
    (IndependentNormal(1), lambda x: x[:, 0] + 0.1 * x[:, 1]),
    (IndependentBernoulli(2), lambda x: (x[:, :2] > 0).astype("float32")),
])
def test_heads_conform_with_the_loss(head, target, tmp_path):
    x = RNG.normal(size=(48, 3)).astype("float32")
    inputs = keras.Input((3,))
    hidden = tfbsl.layers.DenseFlipout(4, activation="tanh", kl_weight=1 / 48, seed=1)(inputs)
    outputs = head(keras.layers.Dense(type(head).params_size(head.event_shape))(hidden))
    check_model_conformance(
        keras.Model(inputs, outputs), x, target(x),
        loss=tfbsl.losses.NegativeLogLikelihood(), tmp_path=tmp_path,
    )
