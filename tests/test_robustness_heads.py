"""Distribution heads, `NegativeLogLikelihood` and `Sampling` on bad and edge-case
inputs: the one rule for the shape of targets, floors on scales, empty
batches, integer and float64 inputs, numpy-int and tensor sizes, heads reused
on another width. The messages of refused arguments are in
tests/bad_inputs/heads.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfbsl
from tfbsl.layers import (
    Categorical,
    DistributionLambda,
    IndependentBernoulli,
    IndependentNormal,
    MultivariateNormalTriL,
    OneHotCategorical,
    Sampling,
    VariableLayer,
)

tfd = tfp.distributions
RNG = np.random.default_rng(5)
NLL = tfbsl.losses.NegativeLogLikelihood

# Each head with its width of parameters and a target of the right shape for 4 examples.
HEADS = {
    "normal": (lambda: IndependentNormal(2), 4, np.zeros((4, 2), "float32")),
    "bernoulli": (lambda: IndependentBernoulli((2, 3)), 6, np.ones((4, 2, 3), "float32")),
    "one_hot": (lambda: OneHotCategorical(3), 3, np.eye(3, dtype="float32")[[0, 1, 2, 0]]),
    "categorical": (lambda: Categorical(3), 3, np.array([0, 1, 2, 0])),
    "mvn_tril": (lambda: MultivariateNormalTriL(2), 5, np.zeros((4, 2), "float32")),
}


def _params(width, n=4, dtype="float32"):
    return RNG.normal(size=(n, width)).astype(dtype)


# The rule for targets (tfbsl.heads.distribution_layers.align_value).

def test_flat_target_for_a_one_wide_normal_is_not_broadcast():
    params, y = _params(2, 5), RNG.normal(size=5).astype("float32")
    out = IndependentNormal(1)(params)
    expected = tfd.Normal(params[:, 0], tf.nn.softplus(params[:, 1])).log_prob(y)
    np.testing.assert_allclose(out.log_prob(y), expected, rtol=1e-5)
    np.testing.assert_allclose(out.prob(y), np.exp(expected), rtol=1e-5)
    np.testing.assert_allclose(out.log_prob(y[:, None]), expected, rtol=1e-5)


@pytest.mark.parametrize("call", [
    lambda out, y: out.log_prob(y),
    lambda out, y: NLL()(y, out),
], ids=["log_prob", "loss"])
def test_a_target_of_another_width_is_refused(call):
    out = IndependentNormal(1)(_params(2, 3))
    with pytest.raises(ValueError, match=r"\(3, 1\).*Received: (value|y_true)\.shape=\(3, 2\)"):
        call(out, np.zeros((3, 2), "float32"))


def _jit_compiled_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), IndependentNormal(1)])
    model.compile("sgd", loss=NLL(), jit_compile=True)
    return model


@pytest.mark.slow
def test_the_loss_checks_targets_under_jit_compile():
    x = _params(3, 8)
    _jit_compiled_model().fit(x, x[:, 0], epochs=1, verbose=0)  # (batch,): the head's (batch, 1)
    with pytest.raises(ValueError, match=r"y_true.*\(None, 1\).*y_true.shape=\(None, 2\)"):
        _jit_compiled_model().fit(x, x[:, :2], epochs=1, verbose=0)


def test_sample_axes_are_for_the_distribution_itself():
    out = IndependentNormal(2)(_params(4))
    draws = out.distribution.sample(3, seed=(1, 2))
    assert out.distribution.log_prob(draws).shape == (3, 4)
    with pytest.raises(ValueError,
                       match=r"\(4, 2\).*\.distribution\.log_prob.*value.shape=\(3, 4, 2\)"):
        out.log_prob(draws)


def test_one_hot_labels_for_a_categorical_are_refused_with_an_unknown_batch():
    # (batch, 3) labels would broadcast against the (batch,) distribution.
    @tf.function(input_signature=[tf.TensorSpec((None, 3)), tf.TensorSpec((None, 3))])
    def loss(logits, y):
        return NLL()(y, Categorical(3)(logits))

    with pytest.raises(ValueError, match=r"y_true.*\(None,\).*y_true.shape=\(None, 3\)"):
        loss(_params(3), np.eye(3, dtype="float32")[[0, 1, 2, 0]])


def test_column_labels_for_a_categorical():
    labels = np.array([0, 2, 1, 1])
    categorical = Categorical(3)(_params(3))
    np.testing.assert_allclose(
        categorical.log_prob(labels[:, None]), categorical.distribution.log_prob(labels))


def test_float64_and_integer_targets_are_cast():
    out = IndependentNormal(2)(_params(4))
    y = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(
        out.log_prob(tf.constant(y, tf.float64)), out.log_prob(y.astype("float32")), rtol=1e-6)
    categorical = Categorical(3)(_params(3))
    np.testing.assert_allclose(
        categorical.log_prob(tf.constant([0.0, 2.0, 1.0, 1.0], tf.float64)),
        categorical.log_prob(np.array([0, 2, 1, 1])))


def test_a_float64_loss_keeps_the_distribution():
    out = IndependentNormal(1)(_params(2, 3))
    y = np.ones((3, 1))
    loss = NLL(dtype="float64")(y, out)
    assert loss.dtype == "float64"
    np.testing.assert_allclose(loss, NLL()(y, out), rtol=1e-6)


# Floors on scales.

def test_very_negative_scale_inputs_give_finite_log_probs():
    params = tf.constant([[0.0, -1e4], [1e4, -1e4], [0.0, -80.0]])
    with tf.GradientTape() as tape:
        tape.watch(params)
        log_prob = IndependentNormal(1)(params).log_prob(np.zeros((3, 1), "float32"))
    assert np.all(np.isfinite(log_prob))
    assert np.all(np.isfinite(tape.gradient(log_prob, params)))
    # A diagonal of -1e4 for MultivariateNormalTriL: its diag_shift floors it.
    mvn = MultivariateNormalTriL(2)(np.array([[0.0, 0.0, -1e4, 0.0, -1e4]], "float32"))
    assert np.all(np.isfinite(mvn.log_prob(np.zeros((1, 2), "float32"))))


def test_ordinary_scales_are_unchanged():
    params = _params(2, 50)
    y = RNG.normal(size=(50, 1)).astype("float32")
    reference = tfd.Normal(params[:, :1], tf.nn.softplus(params[:, 1:])).log_prob(y)[:, 0]
    np.testing.assert_allclose(IndependentNormal(1)(params).log_prob(y), reference, rtol=1e-6)


# Empty batches.

@pytest.mark.parametrize("name", list(HEADS))
def test_heads_on_an_empty_batch_give_empty_outputs(name):
    make, width, target = HEADS[name]
    out = make()(np.zeros((0, width), "float32"))
    assert out.shape[0] == 0
    log_prob = out.log_prob(target[:0])
    assert log_prob.shape == (0,)


@pytest.mark.parametrize("kwargs", [{}, {"free_bits": 0.5}, {"kl_use_exact": False}],
                         ids=["exact", "free_bits", "monte_carlo"])
def test_sampling_on_an_empty_batch_adds_zero_kl(kwargs):
    layer = Sampling(seed=0, **kwargs)
    empty = np.zeros((0, 3), "float32")
    z = layer([empty, empty])
    assert z.shape == (0, 3)
    assert float(layer.losses[0]) == 0.0


def test_sampling_free_bits_on_an_empty_batch_of_a_full_covariance_head():
    layer = Sampling(free_bits=2.0, seed=0)
    layer(MultivariateNormalTriL(3)(np.zeros((0, 9), "float32")))
    assert float(layer.losses[0]) == 0.0


def test_the_loss_of_an_empty_batch_is_what_keras_gives():
    out = IndependentNormal(1)(np.zeros((0, 2), "float32"))
    y = np.zeros((0, 1), "float32")
    assert NLL()(y, out).shape == keras.losses.MeanSquaredError()(y, np.zeros((0, 1))).shape

    # With the batch unknown, as under `fit`: 0, as Keras' own mean gives.
    head = IndependentNormal(1)

    @tf.function(input_signature=[tf.TensorSpec((None, 2)), tf.TensorSpec((None, 1))])
    def loss(params, y):
        return NLL()(y, head(params))

    assert float(loss(np.zeros((0, 2), "float32"), y)) == 0.0


# Integer and float64 inputs.

@pytest.mark.parametrize("name", list(HEADS))
@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_heads_cast_integer_and_float64_inputs(name, dtype):
    make, width, target = HEADS[name]
    params = np.arange(4 * width).reshape(4, width).astype(dtype) % 3
    out, reference = make()(params), make()(params.astype("float32"))
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.log_prob(target), reference.log_prob(target), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_sampling_casts_integer_and_float64_inputs(dtype):
    mean, log_var = np.ones((4, 2), dtype), np.zeros((4, 2), dtype)
    layer = Sampling(seed=0)
    assert layer([mean, log_var]).dtype == "float32"
    np.testing.assert_allclose(float(layer.losses[0]), 1.0, rtol=1e-6)  # KL(N(1, 1) || N(0, 1)) * 2


# Sizes as numpy integers, integer arrays and tensors.

@pytest.mark.parametrize("size", [np.int64(3), np.array(3), tf.constant(3), (3,), [np.int32(3)]],
                         ids=["np_int", "np_array", "tensor", "tuple", "list"])
def test_sizes_of_any_integer_kind(size):
    assert IndependentNormal.params_size(size) == 6
    assert OneHotCategorical.params_size(size) == 3
    assert Categorical.params_size(size) == 3
    assert MultivariateNormalTriL.params_size(size) == 9
    assert IndependentNormal(size).event_shape == (3,)
    assert OneHotCategorical(size).get_config()["event_size"] == 3


# Heads reused, configs.

@pytest.mark.parametrize("name", list(HEADS))
def test_a_built_head_refuses_another_width(name):
    make, width, _ = HEADS[name]
    head = make()
    head(np.zeros((2, width), "float32"))
    with pytest.raises(ValueError,
                       match=rf"needs .* = {width} parameters.*inputs.shape=\(2, {width + 1}\)"):
        head(np.zeros((2, width + 1), "float32"))


def test_configs_keep_the_argument_names_and_round_trip():
    for head, key, value in [
        (OneHotCategorical(np.int64(4)), "event_size", 4),
        (Categorical(np.int32(5)), "num_classes", 5),
        (MultivariateNormalTriL(2), "event_size", 2),
        (IndependentNormal((2, 3)), "event_shape", [2, 3]),
    ]:
        config = head.get_config()
        assert config[key] == value and "make_distribution_fn" not in config
        assert type(head).from_config(config).get_config() == config
    sampling = Sampling(kl_use_exact=np.bool_(True), seed=np.int64(3))
    assert sampling.get_config()["kl_use_exact"] is True


def test_variable_layer_takes_numpy_shapes():
    layer = VariableLayer(np.array([2, 3]), initializer="ones", activation="softplus")
    assert tuple(layer(np.zeros((1, 1))).shape) == (2, 3)


def test_distribution_lambda_returning_a_tensor_is_a_type_error():
    layer = DistributionLambda(lambda t: t * 2)
    with pytest.raises(TypeError, match=r"`make_distribution_fn` must return a `tfd.Distribution`"
                                        r".*EagerTensor"):
        layer(np.zeros((2, 2), "float32"))
