"""Distribution heads, `DistributionLambda`, `VariableLayer`,
`NegativeLogLikelihood` and `Sampling`: bad arguments, inputs and targets."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tests.bad_inputs import rows
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
from tfbsl.losses import NegativeLogLikelihood

tfd = tfp.distributions

# Each head, its shape argument as users write it, a good value and its width of parameters.
HEADS = [
    (IndependentNormal, "event_shape", 2, 4),
    (IndependentBernoulli, "event_shape", 2, 2),
    (OneHotCategorical, "event_size", 3, 3),
    (Categorical, "num_classes", 3, 3),
    (MultivariateNormalTriL, "event_size", 2, 5),
]


def _zeros(*shape):
    return np.zeros(shape, "float32")


def _out(head, n=3):
    """`head`'s output on `n` examples of zero parameters."""
    return head(_zeros(n, type(head).params_size(head.event_shape)))


def _nll(y, head, n=3):
    return NegativeLogLikelihood()(y, _out(head, n))


def _reused(head, width, other):
    head(_zeros(2, width))
    return head(_zeros(2, other))


def _pair(mean_shape, log_var_shape=None):
    return [_zeros(*mean_shape), _zeros(*(log_var_shape or mean_shape))]


def _with_nan(shape):
    x = _zeros(*shape)
    x[0, 0] = np.nan
    return x


class _PlainPrior(keras.layers.Layer):
    """A prior layer that returns a plain tensor, no distribution."""

    def call(self, z):
        return z


# Arguments every head takes, with the words of the message.
COMMON = [
    ("convert_to_tensor_fn='median'", {"convert_to_tensor_fn": "median"}, ValueError,
     "convert_to_tensor_fn", "median"),
    ("convert_to_tensor_fn=3", {"convert_to_tensor_fn": 3}, ValueError, "convert_to_tensor_fn", "3"),
    ("seed='1'", {"seed": "1"}, TypeError, "seed", "'1'"),
    ("seed=2**64", {"seed": 2**64}, ValueError, "seed", str(2**64)),
    ("validate_args='yes'", {"validate_args": "yes"}, TypeError, "validate_args", "yes"),
    ("make_distribution_fn", {"make_distribution_fn": abs}, TypeError, "make_distribution_fn"),
]

ROWS = rows(
    # The shape argument of each head, named as the user wrote it.
    ("heads/IndependentNormal event_shape=0", lambda: IndependentNormal(0), ValueError, "event_shape", "0"),
    ("heads/IndependentNormal event_shape=-1", lambda: IndependentNormal(-1), ValueError, "event_shape", "-1"),
    ("heads/IndependentNormal event_shape=(2, 0)", lambda: IndependentNormal((2, 0)), ValueError,
     "event_shape", "(2, 0)"),
    ("heads/IndependentNormal event_shape=2.5", lambda: IndependentNormal(2.5), TypeError, "event_shape", "2.5"),
    ("heads/IndependentNormal event_shape=2.0", lambda: IndependentNormal(2.0), TypeError, "event_shape", "2.0"),
    ("heads/IndependentNormal event_shape='2'", lambda: IndependentNormal("2"), TypeError, "event_shape", "'2'"),
    ("heads/IndependentNormal event_shape=None", lambda: IndependentNormal(None), TypeError, "event_shape", "None"),
    ("heads/IndependentNormal event_shape=True", lambda: IndependentNormal(True), TypeError, "event_shape", "True"),
    ("heads/IndependentNormal event_shape=[1.0]", lambda: IndependentNormal([1.0]), TypeError,
     "event_shape", "[1.0]"),
    ("heads/IndependentNormal event_shape=np.array([[2]])", lambda: IndependentNormal(np.array([[2]])),
     TypeError, "event_shape", "[[2]]"),
    ("heads/IndependentBernoulli event_shape=0", lambda: IndependentBernoulli(0), ValueError, "event_shape", "0"),
    ("heads/IndependentBernoulli event_shape=(8, -8)", lambda: IndependentBernoulli((8, -8)), ValueError,
     "event_shape", "(8, -8)"),
    ("heads/IndependentBernoulli event_shape='8x8'", lambda: IndependentBernoulli("8x8"), TypeError,
     "event_shape", "8x8"),
    ("heads/OneHotCategorical event_size=0", lambda: OneHotCategorical(0), ValueError, "event_size", "0"),
    ("heads/OneHotCategorical event_size=-2", lambda: OneHotCategorical(-2), ValueError, "event_size", "-2"),
    ("heads/OneHotCategorical event_size=(2, 3)", lambda: OneHotCategorical((2, 3)), ValueError,
     "event_size", "(2, 3)"),
    ("heads/OneHotCategorical event_size=2.5", lambda: OneHotCategorical(2.5), TypeError, "event_size", "2.5"),
    ("heads/OneHotCategorical event_size=None", lambda: OneHotCategorical(None), TypeError, "event_size", "None"),
    ("heads/OneHotCategorical event_shape=3", lambda: OneHotCategorical(event_shape=3), TypeError,
     "event_shape", "event_size", "3"),
    ("heads/Categorical num_classes=0", lambda: Categorical(0), ValueError, "num_classes", "0"),
    ("heads/Categorical num_classes=(2, 2)", lambda: Categorical((2, 2)), ValueError, "num_classes", "(2, 2)"),
    ("heads/Categorical num_classes='3'", lambda: Categorical("3"), TypeError, "num_classes", "'3'"),
    ("heads/Categorical event_shape=3", lambda: Categorical(event_shape=3), TypeError,
     "event_shape", "num_classes", "3"),
    ("heads/MultivariateNormalTriL event_size=0", lambda: MultivariateNormalTriL(0), ValueError,
     "event_size", "0"),
    ("heads/MultivariateNormalTriL event_size=(2, 2)", lambda: MultivariateNormalTriL((2, 2)), ValueError,
     "event_size", "(2, 2)"),
    ("heads/MultivariateNormalTriL event_size=1.5", lambda: MultivariateNormalTriL(1.5), TypeError,
     "event_size", "1.5"),
    ("heads/MultivariateNormalTriL event_size=np.array([2, 2])",
     lambda: MultivariateNormalTriL(np.array([2, 2])), ValueError, "event_size", "[2, 2]"),
    # params_size: numpy ints, integer arrays and tensors are taken; bad values named.
    ("heads/IndependentNormal.params_size(0)", lambda: IndependentNormal.params_size(0), ValueError,
     "event_shape", "0"),
    ("heads/IndependentNormal.params_size(-1)", lambda: IndependentNormal.params_size(-1), ValueError,
     "event_shape", "-1"),
    ("heads/IndependentNormal.params_size('a')", lambda: IndependentNormal.params_size("a"), TypeError,
     "event_shape", "'a'"),
    ("heads/IndependentNormal.params_size(tf.constant(0))",
     lambda: IndependentNormal.params_size(tf.constant(0)), ValueError, "event_shape", "numpy=0"),
    ("heads/IndependentNormal.params_size(tf.constant(2.0))",
     lambda: IndependentNormal.params_size(tf.constant(2.0)), TypeError, "event_shape", "numpy=2.0"),
    ("heads/IndependentNormal.params_size(np.zeros((1, 1), int))",
     lambda: IndependentNormal.params_size(np.zeros((1, 1), int)), TypeError, "event_shape", "array"),
    ("heads/OneHotCategorical.params_size(0)", lambda: OneHotCategorical.params_size(0), ValueError,
     "event_size", "0"),
    ("heads/Categorical.params_size(np.int64(0))", lambda: Categorical.params_size(np.int64(0)), ValueError,
     "num_classes", "0"),
    ("heads/MultivariateNormalTriL.params_size((2, 3))", lambda: MultivariateNormalTriL.params_size((2, 3)),
     ValueError, "event_size", "(2, 3)"),
    # Parameters of the wrong width or rank: named layer, the width it needs and the shape received.
    ("heads/IndependentNormal inputs of width 3",
     lambda: IndependentNormal(2)(_zeros(3, 3)), ValueError,
     "IndependentNormal(event_shape=(2,))", "params_size((2,)) = 4", "inputs.shape=(3, 3)"),
    ("heads/IndependentBernoulli inputs of width 4",
     lambda: IndependentBernoulli((2, 3))(_zeros(3, 4)), ValueError,
     "IndependentBernoulli(event_shape=(2, 3))", "= 6", "inputs.shape=(3, 4)"),
    ("heads/OneHotCategorical inputs of width 2",
     lambda: OneHotCategorical(3)(_zeros(3, 2)), ValueError,
     "OneHotCategorical(event_size=3)", "params_size(3) = 3", "inputs.shape=(3, 2)"),
    ("heads/Categorical inputs of width 4",
     lambda: Categorical(3)(_zeros(3, 4)), ValueError,
     "Categorical(num_classes=3)", "params_size(3) = 3", "inputs.shape=(3, 4)"),
    ("heads/MultivariateNormalTriL inputs of width 4",
     lambda: MultivariateNormalTriL(2)(_zeros(3, 4)), ValueError,
     "MultivariateNormalTriL(event_size=2)", "params_size(2) = 5", "inputs.shape=(3, 4)"),
    ("heads/MultivariateNormalTriL scalar inputs",
     lambda: MultivariateNormalTriL(1)(np.float32(0.0)), ValueError,
     "MultivariateNormalTriL", "= 2", "inputs.shape=()"),
    ("heads/IndependentNormal Keras input of width 5",
     lambda: IndependentNormal(2)(keras.Input((5,))), ValueError,
     "IndependentNormal", "= 4", "inputs.shape=(None, 5)"),
    ("heads/IndependentNormal reused on another width",
     lambda: _reused(IndependentNormal(1, name="head"), 2, 3), ValueError,
     "layer 'head'", "= 2", "inputs.shape=(2, 3)"),
    ("heads/Categorical reused on another width",
     lambda: _reused(Categorical(4), 4, 2), ValueError, "Categorical(num_classes=4)", "inputs.shape=(2, 2)"),
    # Targets whose shape is not the distribution's (nor one of the two Keras shapes).
    ("heads/IndependentNormal(1) log_prob of (3, 2)",
     lambda: _out(IndependentNormal(1)).log_prob(_zeros(3, 2)), ValueError,
     "value", "(3, 1)", "value.shape=(3, 2)"),
    ("heads/IndependentNormal(1) loss of (3, 2)",
     lambda: _nll(_zeros(3, 2), IndependentNormal(1)), ValueError, "y_true", "(3, 1)", "y_true.shape=(3, 2)"),
    ("heads/IndependentNormal(1) loss of (4,) for 3 examples",
     lambda: _nll(_zeros(4), IndependentNormal(1)), ValueError, "y_true", "(3, 1)", "y_true.shape=(4,)"),
    ("heads/IndependentNormal(2) log_prob of (3,)",
     lambda: _out(IndependentNormal(2)).log_prob(_zeros(3)), ValueError, "(3, 2)", "value.shape=(3,)"),
    ("heads/IndependentNormal(2) cdf of (3, 1)",
     lambda: _out(IndependentNormal(2)).cdf(_zeros(3, 1)), ValueError, "(3, 2)", "value.shape=(3, 1)"),
    ("heads/IndependentBernoulli((2, 2)) loss of flat (3, 4)",
     lambda: _nll(_zeros(3, 4), IndependentBernoulli((2, 2))), ValueError,
     "y_true", "(3, 2, 2)", "y_true.shape=(3, 4)"),
    ("heads/OneHotCategorical(3) loss of integer labels",
     lambda: _nll(np.array([0, 1, 2]), OneHotCategorical(3)), ValueError,
     "y_true", "(3, 3)", "y_true.shape=(3,)"),
    ("heads/Categorical(3) loss of one-hot labels",
     lambda: _nll(np.eye(3), Categorical(3)), ValueError, "y_true", "(3,)", "y_true.shape=(3, 3)"),
    ("heads/Categorical(3) log_prob of (3, 2)",
     lambda: _out(Categorical(3)).log_prob(np.zeros((3, 2), int)), ValueError, "(3,)", "value.shape=(3, 2)"),
    ("heads/MultivariateNormalTriL(2) loss of (3, 3)",
     lambda: _nll(_zeros(3, 3), MultivariateNormalTriL(2)), ValueError, "y_true", "(3, 2)",
     "y_true.shape=(3, 3)"),
    ("heads/NegativeLogLikelihood y_pred without a distribution",
     lambda: NegativeLogLikelihood()(_zeros(3, 1), tf.zeros((3, 1))), ValueError, "y_pred", "EagerTensor"),
    # NegativeLogLikelihood's arguments.
    ("heads/NegativeLogLikelihood name=3", lambda: NegativeLogLikelihood(name=3), TypeError, "name", "3"),
    ("heads/NegativeLogLikelihood dtype='int32'", lambda: NegativeLogLikelihood(dtype="int32"), ValueError,
     "dtype", "int32"),
    ("heads/NegativeLogLikelihood dtype='nope'", lambda: NegativeLogLikelihood(dtype="nope"), ValueError,
     "dtype", "nope"),
    ("heads/NegativeLogLikelihood dtype=3", lambda: NegativeLogLikelihood(dtype=3), ValueError, "dtype", "3"),
    ("heads/NegativeLogLikelihood reduction='avg'", lambda: NegativeLogLikelihood(reduction="avg"), ValueError,
     "reduction", "avg"),
    # DistributionLambda.
    ("heads/DistributionLambda make_distribution_fn=3", lambda: DistributionLambda(3), TypeError,
     "make_distribution_fn", "3"),
    ("heads/DistributionLambda make_distribution_fn=None", lambda: DistributionLambda(None), TypeError,
     "make_distribution_fn", "None"),
    ("heads/DistributionLambda make_distribution_fn returns a tensor",
     lambda: DistributionLambda(lambda t: t)(_zeros(2, 2)), TypeError, "make_distribution_fn", "EagerTensor"),
    ("heads/DistributionLambda make_distribution_fn returns a float",
     lambda: DistributionLambda(lambda t: 1.0)(_zeros(2, 2)), TypeError, "make_distribution_fn", "float"),
    ("heads/DistributionLambda convert_to_tensor_fn='median'",
     lambda: DistributionLambda(tfd.Normal, convert_to_tensor_fn="median"), ValueError,
     "convert_to_tensor_fn", "median"),
    ("heads/DistributionLambda seed=1.5", lambda: DistributionLambda(tfd.Normal, seed=1.5), TypeError,
     "seed", "1.5"),
    # VariableLayer.
    ("heads/VariableLayer shape=0", lambda: VariableLayer(0), ValueError, "shape", "0"),
    ("heads/VariableLayer shape=(2, -1)", lambda: VariableLayer((2, -1)), ValueError, "shape", "(2, -1)"),
    ("heads/VariableLayer shape='a'", lambda: VariableLayer("a"), TypeError, "shape", "'a'"),
    ("heads/VariableLayer shape=None", lambda: VariableLayer(None), TypeError, "shape", "None"),
    ("heads/VariableLayer initializer='nope'", lambda: VariableLayer(2, initializer="nope"), ValueError,
     "initializer", "nope"),
    ("heads/VariableLayer activation='nope'", lambda: VariableLayer(2, activation="nope"), ValueError,
     "activation", "nope"),
    ("heads/VariableLayer activation=3", lambda: VariableLayer(2, activation=3), ValueError, "activation", "3"),
    # Sampling's arguments.
    ("heads/Sampling kl_weight=-1", lambda: Sampling(kl_weight=-1), ValueError, "kl_weight", "-1"),
    ("heads/Sampling kl_weight=nan", lambda: Sampling(kl_weight=float("nan")), ValueError, "kl_weight", "nan"),
    ("heads/Sampling kl_weight='beta'", lambda: Sampling(kl_weight="beta"), ValueError, "kl_weight", "beta"),
    ("heads/Sampling free_bits=-0.5", lambda: Sampling(free_bits=-0.5), ValueError, "free_bits", "-0.5"),
    ("heads/Sampling free_bits=inf", lambda: Sampling(free_bits=float("inf")), ValueError, "free_bits", "inf"),
    ("heads/Sampling inference_mode='median'", lambda: Sampling(inference_mode="median"), ValueError,
     "inference_mode", "median"),
    ("heads/Sampling inference_mode=None", lambda: Sampling(inference_mode=None), ValueError,
     "inference_mode", "None"),
    ("heads/Sampling prior=tfd.Normal", lambda: Sampling(prior=tfd.Normal(0.0, 1.0)), ValueError,
     "prior", "Normal"),
    ("heads/Sampling prior='normal'", lambda: Sampling(prior="normal"), ValueError, "prior", "normal"),
    ("heads/Sampling kl_use_exact='yes'", lambda: Sampling(kl_use_exact="yes"), ValueError,
     "kl_use_exact", "yes"),
    ("heads/Sampling kl_use_exact=1", lambda: Sampling(kl_use_exact=1), ValueError, "kl_use_exact", "1"),
    ("heads/Sampling seed='0'", lambda: Sampling(seed="0"), TypeError, "seed", "'0'"),
    ("heads/Sampling seed=2**64", lambda: Sampling(seed=2**64), ValueError, "seed", str(2**64)),
    # Sampling's inputs.
    ("heads/Sampling z_mean and z_log_var of different shapes",
     lambda: Sampling()(_pair((2, 3), (2, 2))), ValueError,
     "z_mean", "z_log_var", "(2, 3)", "(2, 2)"),
    ("heads/Sampling z_mean and z_log_var of different ranks",
     lambda: Sampling()(_pair((2, 3), (2, 3, 1))), ValueError, "z_mean.shape=(2, 3)", "z_log_var.shape=(2, 3, 1)"),
    ("heads/Sampling scalar z_mean and z_log_var",
     lambda: Sampling()([np.float32(0.0), np.float32(0.0)]), ValueError, "z_mean", "z_log_var", "shape=()"),
    ("heads/Sampling a single plain tensor",
     lambda: Sampling()(_zeros(2, 3)), ValueError, "z_mean, z_log_var", "EagerTensor", "(2, 3)"),
    ("heads/Sampling three tensors", lambda: Sampling()([_zeros(2, 3)] * 3), ValueError, "pair", "(2, 3)"),
    ("heads/Sampling NaN z_mean", lambda: Sampling()([_with_nan((2, 3)), _zeros(2, 3)]), ValueError,
     "z_mean", "NaN"),
    ("heads/Sampling prior returning a plain tensor",
     lambda: Sampling(prior=_PlainPrior())(_pair((2, 3))), ValueError, "prior(z)", "Tensor"),
    *[
        (f"heads/{cls.__name__} {label}", lambda cls=cls, size=size, kwargs=kwargs: cls(size, **kwargs),
         error, *words)
        for cls, _, size, _ in HEADS
        for label, kwargs, error, *words in COMMON
    ],
)
