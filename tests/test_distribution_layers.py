import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.src import testing

from tfbsl.layers import (
    Categorical,
    DistributionLambda,
    IndependentBernoulli,
    IndependentNormal,
    MultivariateNormalTriL,
    OneHotCategorical,
    VariableLayer,
)

tfd = tfp.distributions
tfb = tfp.bijectors


class DistributionLayersTest(testing.TestCase):
    def test_run_layer_test_heads(self):
        for cls, kwargs, n in [
            (IndependentNormal, {"event_shape": 2}, 4),
            (IndependentBernoulli, {"event_shape": (2, 3)}, 6),
            (OneHotCategorical, {"event_size": 3}, 3),
            (Categorical, {"num_classes": 3}, 3),
            (MultivariateNormalTriL, {"event_size": 2}, 5),
        ]:
            self.run_layer_test(
                cls, init_kwargs=kwargs, input_shape=(4, n),
                expected_num_trainable_weights=0, expected_num_losses=0,
                run_training_check=False,
            )

    def test_run_layer_test_variable_layer(self):
        self.run_layer_test(
            VariableLayer, init_kwargs={"shape": 3}, input_shape=(2, 5),
            expected_output_shape=(3,), expected_num_trainable_weights=1,
            run_training_check=False,
        )


RNG = np.random.default_rng(1)


@pytest.mark.parametrize("layer,dist_fn,n", [
    (IndependentNormal(2, convert_to_tensor_fn="mean"),
     lambda p: tfd.Independent(tfd.Normal(p[:, :2], tf.nn.softplus(p[:, 2:])), 1), 4),
    (IndependentBernoulli(3, convert_to_tensor_fn="mean"),
     lambda p: tfd.Independent(tfd.Bernoulli(logits=p), 1), 3),
    (OneHotCategorical(3, convert_to_tensor_fn="mean"),
     lambda p: tfd.OneHotCategorical(logits=p), 3),
    (MultivariateNormalTriL(2, convert_to_tensor_fn="mean"), lambda p: tfd.MultivariateNormalTriL(
        p[:, :2], tfb.FillScaleTriL(diag_shift=1e-5).forward(p[:, 2:])), 5),
])
def test_log_prob_matches_tfp(layer, dist_fn, n):
    params = RNG.normal(size=(6, n)).astype("float32")
    out = layer(params)
    reference = dist_fn(params)
    sample = reference.sample(seed=(1, 2))
    np.testing.assert_allclose(out.log_prob(sample), reference.log_prob(sample),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.mean(), reference.mean(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out), reference.mean(), rtol=1e-5, atol=1e-6)


def test_categorical_returns_probabilities_and_takes_column_labels():
    logits = RNG.normal(size=(5, 4)).astype("float32")
    out = Categorical(4)(logits)
    np.testing.assert_allclose(np.asarray(out), tf.nn.softmax(logits), rtol=1e-5)
    labels = np.array([0, 1, 2, 3, 0])
    expected = tfd.Categorical(logits=logits).log_prob(labels)
    np.testing.assert_allclose(out.log_prob(labels[:, None]), expected, rtol=1e-5)
    assert out.log_prob(labels[:, None]).shape == (5,)


def test_wrong_number_of_parameters_is_a_value_error():
    with pytest.raises(ValueError, match=r"params_size\(\(2,\)\) = 4"):
        IndependentNormal(2)(np.zeros((3, 3), "float32"))
    with pytest.raises(ValueError, match="event_shape"):
        IndependentNormal(0)
    with pytest.raises(ValueError, match="convert_to_tensor_fn"):
        IndependentNormal(1, convert_to_tensor_fn="median")


def test_sample_convert_to_tensor_is_seeded():
    params = np.zeros((2000, 2), "float32")
    a = np.asarray(IndependentNormal(1, convert_to_tensor_fn="sample", seed=3)(params))
    b = np.asarray(
        IndependentNormal(1, convert_to_tensor_fn=tfd.Distribution.sample, seed=3)(params))
    np.testing.assert_array_equal(a, b)
    # softplus(0) = log 2 is the scale: sample std within 5 standard errors.
    assert abs(a.std() - np.log(2.0)) < 5 * np.log(2.0) / np.sqrt(2 * len(a))


@pytest.mark.slow
@pytest.mark.parametrize("make_head,loss_y", [
    (lambda: IndependentNormal(2), lambda x: x[:, :2]),
    (lambda: MultivariateNormalTriL(2), lambda x: x[:, :2]),
    (lambda: Categorical(3), lambda x: (x[:, 0] > 0).astype("int32")),
])
def test_heads_conform(make_head, loss_y, tmp_path):
    import keras
    x = RNG.normal(size=(64, 3)).astype("float32")
    head = make_head()
    inputs = keras.Input((3,))
    outputs = head(keras.layers.Dense(type(head).params_size(head.event_shape))(inputs))
    from tests.conformance import check_model_conformance
    check_model_conformance(
        keras.Model(inputs, outputs), x, loss_y(x),
        loss=lambda y, d: -d.log_prob(y), tmp_path=tmp_path, safe_mode=False,
    )


def test_tfp_named_heads_hand_on_a_sample_as_tfp():
    """TFP's default `convert_to_tensor_fn`: a draw, different at each call;
    tfbsl's own `Categorical` hands on the probabilities."""
    params = np.zeros((500, 4), "float32")
    for head, width in ((IndependentNormal(2), 4), (MultivariateNormalTriL(1, seed=2), 2),
                        (DistributionLambda(lambda t: tfd.Normal(t, 1.0)), 4)):
        a, b = np.asarray(head(params[:, :width])), np.asarray(head(params[:, :width]))
        assert a.std() > 0.3 and not np.allclose(a, b)
    onehot = np.asarray(OneHotCategorical(4)(params))
    assert set(np.unique(onehot)) == {0.0, 1.0} and (onehot.sum(-1) == 1).all()
    np.testing.assert_allclose(np.asarray(Categorical(4)(params)), 0.25)


def test_a_property_is_a_convert_to_tensor_fn_as_in_tfp(tmp_path):
    logits = RNG.normal(size=(5, 3)).astype("float32")
    head = IndependentBernoulli(3, convert_to_tensor_fn=tfd.Bernoulli.logits)
    np.testing.assert_allclose(np.asarray(head(logits)), logits, rtol=1e-6)
    import keras
    model = keras.Sequential([keras.Input((3,)), head])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(logits)), logits, rtol=1e-6)


def test_heads_take_parameters_without_a_batch_axis():
    out = IndependentNormal(2, convert_to_tensor_fn="mean")(
        np.array([0.0, 1.0, 0.0, 0.0], "float32"))
    assert out.distribution.event_shape == (2,) and out.distribution.batch_shape == ()
    np.testing.assert_allclose(np.asarray(out), [0.0, 1.0])
