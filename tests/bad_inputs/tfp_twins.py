"""The `tfp.layers` twins: `VariationalGaussianProcess`, `BlockwiseInitializer`,
`WeightNorm`, the count, logistic and mixture heads, the KL penalties,
`AutoregressiveNetwork` and `AutoregressiveTransform`, and the per-part
variational layers: bad arguments and inputs."""

import warnings

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from tests._kernels import RBFKernelFn, TfKerasRBFKernelFn, rbf
from tests.bad_inputs import rows
from tfbsl import layers as L
from tfbsl.flows import AutoregressiveNetwork, AutoregressiveTransform
from tfbsl.heads.distribution_layers import IndependentNormal
from tfbsl.heads.gaussian_process import VariationalGaussianProcess
from tfbsl.heads.kl_divergence import KLDivergenceAddLoss, KLDivergenceRegularizer
from tfbsl.heads.mixture_layers import (
    CategoricalMixtureOfOneHotCategorical,
    IndependentLogistic,
    IndependentPoisson,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from tfbsl.layers.initializers import BlockwiseInitializer
from tfbsl.layers.weight_norm import WeightNorm

tfd = tfp.distributions


# --- VariationalGaussianProcess (from tests/test_tfp_gp_and_misc.py) --------

class _NoKernel(keras.layers.Layer):
    kernel = "not a kernel"


def _vgp(*args, **kwargs):
    return VariationalGaussianProcess(*args, **kwargs)


def _build_vgp(provider, shape=(None, 1)):
    VariationalGaussianProcess(2, provider).build(shape)


def _weight_norm_quietly(layer):
    """`WeightNorm(layer)`, without its warning for layers it is not tested on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`WeightNorm` is tested only")
        return WeightNorm(layer)


_GP_AND_MISC = rows(
    # VariationalGaussianProcess.
    ("tfp/VariationalGaussianProcess num_inducing_points=0",
     lambda: _vgp(0, RBFKernelFn()), ValueError,
     "`num_inducing_points` must be a positive integer", "num_inducing_points=0"),
    ("tfp/VariationalGaussianProcess num_inducing_points=2.5",
     lambda: _vgp(2.5, RBFKernelFn()), ValueError, "num_inducing_points=2.5"),
    ("tfp/VariationalGaussianProcess kernel_provider=tf_keras layer",
     lambda: _vgp(2, TfKerasRBFKernelFn()), TypeError, "kernel_provider", "Keras 3",
     "TfKerasRBFKernelFn"),
    ("tfp/VariationalGaussianProcess kernel_provider=PSD kernel",
     lambda: _vgp(2, rbf(0.0, 0.0)), TypeError, "kernel_provider",
     "ExponentiatedQuadratic"),
    ("tfp/VariationalGaussianProcess event_shape=0",
     lambda: _vgp(2, RBFKernelFn(), event_shape=0), ValueError, "event_shape=0"),
    ("tfp/VariationalGaussianProcess event_shape=(2, 3)",
     lambda: _vgp(2, RBFKernelFn(), event_shape=(2, 3)), ValueError, "event_shape", "(2, 3)"),
    ("tfp/VariationalGaussianProcess inducing_index_points_initializer='nope'",
     lambda: _vgp(2, RBFKernelFn(), inducing_index_points_initializer="nope"), ValueError,
     "inducing_index_points_initializer='nope'"),
    ("tfp/VariationalGaussianProcess variational_inducing_observations_scale_initializer=3",
     lambda: _vgp(2, RBFKernelFn(), variational_inducing_observations_scale_initializer=3),
     ValueError, "variational_inducing_observations_scale_initializer=3"),
    ("tfp/VariationalGaussianProcess mean_fn=0.0",
     lambda: _vgp(2, RBFKernelFn(), mean_fn=0.0), TypeError, "mean_fn", "mean_fn=0.0"),
    ("tfp/VariationalGaussianProcess jitter=-1",
     lambda: _vgp(2, RBFKernelFn(), jitter=-1), ValueError, "jitter=-1"),
    ("tfp/VariationalGaussianProcess convert_to_tensor_fn='median'",
     lambda: _vgp(2, RBFKernelFn(), convert_to_tensor_fn="median"), ValueError,
     "convert_to_tensor_fn='median'"),
    ("tfp/VariationalGaussianProcess kernel_provider.kernel not a kernel",
     lambda: _build_vgp(_NoKernel()), TypeError, "kernel_provider.kernel", "not a kernel"),
    ("tfp/VariationalGaussianProcess built on unknown features",
     lambda: _build_vgp(RBFKernelFn(), (None, None)), ValueError,
     "must be known", "(None, None)"),
    # BlockwiseInitializer.
    ("tfp/BlockwiseInitializer initializers='zeros'",
     lambda: BlockwiseInitializer("zeros", [1]), ValueError, "initializers='zeros'"),
    ("tfp/BlockwiseInitializer initializers=[]",
     lambda: BlockwiseInitializer([], []), ValueError, "initializers=[]"),
    ("tfp/BlockwiseInitializer sizes=[1.5]",
     lambda: BlockwiseInitializer(["zeros"], [1.5]), ValueError, "sizes=[1.5]"),
    ("tfp/BlockwiseInitializer sizes=[-1]",
     lambda: BlockwiseInitializer(["zeros"], [-1]), ValueError, "sizes=[-1]"),
    ("tfp/BlockwiseInitializer sizes=[1, 2] for 1 initializer",
     lambda: BlockwiseInitializer(["zeros"], [1, 2]), ValueError, "sizes=[1, 2]", "1 init"),
    ("tfp/BlockwiseInitializer initializers=['nope']",
     lambda: BlockwiseInitializer(["nope"], [1]), ValueError, "initializers[0]='nope'"),
    ("tfp/BlockwiseInitializer validate_args='yes'",
     lambda: BlockwiseInitializer(["zeros"], [1], validate_args="yes"), TypeError,
     "validate_args='yes'"),
    ("tfp/BlockwiseInitializer shape=(2, 4) for sizes summing to 3",
     lambda: BlockwiseInitializer(["zeros", "ones"], [1, 2])((2, 4)), ValueError,
     "sum(sizes)", "3", "shape=(2, 4)"),
    # WeightNorm.
    ("tfp/WeightNorm layer=tf_keras Dense",
     lambda: WeightNorm(tf_keras.layers.Dense(2)), ValueError, "layer", "tf_keras"),
    ("tfp/WeightNorm data_init=1",
     lambda: WeightNorm(keras.layers.Dense(2), data_init=1), TypeError, "data_init=1"),
    ("tfp/WeightNorm layer=Dropout (no kernel)",
     lambda: _weight_norm_quietly(keras.layers.Dropout(0.5)).build((None, 2)), ValueError,
     "kernel", "Dropout"),
)


# --- Count, logistic and mixture heads; KL penalties (tests/test_tfp_heads.py)

PRIOR = tfd.Independent(tfd.Normal(tf.zeros(2), 1.0), 1)

_HEADS = rows(
    ("tfp/IndependentPoisson event_shape=0",
     lambda: IndependentPoisson(0), ValueError, "event_shape", "event_shape=0"),
    ("tfp/IndependentPoisson event_shape='a'",
     lambda: IndependentPoisson("a"), TypeError, "event_shape", "event_shape='a'"),
    ("tfp/IndependentLogistic validate_args='yes'",
     lambda: IndependentLogistic(2, validate_args="yes"), TypeError, "validate_args",
     "validate_args='yes'"),
    ("tfp/IndependentLogistic convert_to_tensor_fn='median'",
     lambda: IndependentLogistic(2, convert_to_tensor_fn="median"), ValueError,
     "convert_to_tensor_fn", "convert_to_tensor_fn='median'"),
    ("tfp/IndependentPoisson seed='x'",
     lambda: IndependentPoisson(2, seed="x"), TypeError, "seed", "seed='x'"),
    ("tfp/MixtureNormal num_components=0",
     lambda: MixtureNormal(0), ValueError, "num_components", "num_components=0"),
    ("tfp/MixtureNormal num_components=2.5",
     lambda: MixtureNormal(2.5), ValueError, "num_components", "num_components=2.5"),
    ("tfp/MixtureLogistic num_components=True",
     lambda: MixtureLogistic(True), ValueError, "num_components",
     "num_components=True"),
    ("tfp/MixtureNormal event_shape=-1",
     lambda: MixtureNormal(2, event_shape=-1), ValueError, "event_shape", "event_shape=-1"),
    ("tfp/MixtureSameFamily component_layer='normal'",
     lambda: MixtureSameFamily(2, "normal"), TypeError, "component_layer",
     "component_layer='normal'"),
    ("tfp/MixtureSameFamily num_components=0",
     lambda: MixtureSameFamily(0, IndependentNormal(1)), ValueError, "num_components",
     "num_components=0"),
    ("tfp/MixtureSameFamily make_distribution_fn=len",
     lambda: MixtureSameFamily(2, IndependentNormal(1), make_distribution_fn=len), TypeError,
     "make_distribution_fn", "len"),
    ("tfp/CategoricalMixtureOfOneHotCategorical event_size=0",
     lambda: CategoricalMixtureOfOneHotCategorical(0, 2), ValueError, "event_size",
     "event_size=0"),
    ("tfp/CategoricalMixtureOfOneHotCategorical num_components=0",
     lambda: CategoricalMixtureOfOneHotCategorical(3, 0), ValueError, "num_components",
     "num_components=0"),
    ("tfp/CategoricalMixtureOfOneHotCategorical sample_dtype='nope'",
     lambda: CategoricalMixtureOfOneHotCategorical(3, 2, sample_dtype="nope"), TypeError,
     "sample_dtype", "sample_dtype='nope'"),
    ("tfp/MixtureSameFamily.params_size num_components=0",
     lambda: MixtureSameFamily.params_size(0, 2), ValueError, "num_components",
     "num_components=0"),
    ("tfp/MixtureSameFamily.params_size component_params_size=-1",
     lambda: MixtureSameFamily.params_size(2, -1), ValueError, "component_params_size",
     "component_params_size=-1"),
    ("tfp/MixtureNormal.params_size event_shape=0",
     lambda: MixtureNormal.params_size(2, event_shape=0), ValueError, "event_shape",
     "event_shape=0"),
    ("tfp/IndependentLogistic.params_size event_shape=(2, 0)",
     lambda: IndependentLogistic.params_size((2, 0)), ValueError, "event_shape",
     "event_shape=(2, 0)"),
    ("tfp/MixtureNormal inputs of width 5",
     lambda: MixtureNormal(2, [1])(np.zeros((3, 5), "float32")), ValueError, "Dense(6)",
     "inputs.shape=(3, 5)"),
    ("tfp/MixtureSameFamily inputs of width 7",
     lambda: MixtureSameFamily(2, IndependentNormal(1))(np.zeros((3, 7), "float32")),
     ValueError, "Dense(6)", "inputs.shape=(3, 7)"),
    ("tfp/MixtureSameFamily callable component with too few logits",
     lambda: MixtureSameFamily(2, lambda t: tfd.Normal(t[..., 0], 1.0))(
         np.zeros((3, 5), "float32")), ValueError, "2 mixture logits", "inputs.shape=(3, 5)"),
    ("tfp/KLDivergenceRegularizer distribution_b=3.0",
     lambda: KLDivergenceRegularizer(3.0), TypeError, "distribution_b", "distribution_b=3.0"),
    ("tfp/KLDivergenceRegularizer use_exact_kl='yes'",
     lambda: KLDivergenceRegularizer(PRIOR, use_exact_kl="yes"), TypeError, "use_exact_kl",
     "use_exact_kl='yes'"),
    ("tfp/KLDivergenceRegularizer test_points_reduce_axis=1.5",
     lambda: KLDivergenceRegularizer(PRIOR, test_points_reduce_axis=1.5), ValueError,
     "test_points_reduce_axis", "test_points_reduce_axis=1.5"),
    ("tfp/KLDivergenceRegularizer test_points_fn=3",
     lambda: KLDivergenceRegularizer(PRIOR, test_points_fn=3), TypeError, "test_points_fn",
     "test_points_fn=3"),
    ("tfp/KLDivergenceAddLoss weight=-1.0",
     lambda: KLDivergenceAddLoss(PRIOR, weight=-1.0), ValueError, "weight", "weight=-1.0"),
    ("tfp/KLDivergenceAddLoss weight='x'",
     lambda: KLDivergenceAddLoss(PRIOR, weight="x"), ValueError, "weight", "weight='x'"),
    ("tfp/KLDivergenceAddLoss inputs without a distribution",
     lambda: KLDivergenceAddLoss(PRIOR)(np.zeros((3, 2), "float32")), ValueError,
     "distribution_a", "EagerTensor"),
)


# --- AutoregressiveNetwork and AutoregressiveTransform (tests/test_made_tfp.py)

E = 4  # event size


def _transform_on_plain_tensor():
    AutoregressiveTransform(AutoregressiveNetwork(2))(np.zeros((3, 2), "float32"))


def _built_made(**kwargs):
    made = AutoregressiveNetwork(2, **kwargs)
    made(np.zeros((3, E), "float32"))


_MADE = rows(
    ("tfp/AutoregressiveNetwork params=0",
     lambda: AutoregressiveNetwork(0), ValueError, "params", "0"),
    ("tfp/AutoregressiveNetwork event_shape=(2, 3)",
     lambda: AutoregressiveNetwork(2, event_shape=(2, 3)), ValueError,
     "event_shape", "rank-1", "(2, 3)"),
    ("tfp/AutoregressiveNetwork event_shape=0",
     lambda: AutoregressiveNetwork(2, event_shape=0), ValueError, "event_shape", "0"),
    ("tfp/AutoregressiveNetwork conditional='yes'",
     lambda: AutoregressiveNetwork(2, conditional="yes"), TypeError, "conditional", "'yes'"),
    ("tfp/AutoregressiveNetwork conditional=True without conditional_event_shape",
     lambda: AutoregressiveNetwork(2, conditional=True), ValueError,
     "conditional_event_shape", "event_shape=None"),
    ("tfp/AutoregressiveNetwork conditional_event_shape=3 with conditional=False",
     lambda: AutoregressiveNetwork(2, event_shape=2, conditional_event_shape=3), ValueError,
     "conditional_event_shape", "conditional=False"),
    ("tfp/AutoregressiveNetwork conditional_input_layers='last'",
     lambda: AutoregressiveNetwork(2, conditional_input_layers="last"), ValueError,
     "conditional_input_layers", "'last'"),
    ("tfp/AutoregressiveNetwork hidden_units=[0]",
     lambda: AutoregressiveNetwork(2, hidden_units=[0]), ValueError, "hidden_units", "[0]"),
    ("tfp/AutoregressiveNetwork input_order='up'",
     lambda: AutoregressiveNetwork(2, input_order="up"), ValueError, "input_order", "'up'"),
    ("tfp/AutoregressiveNetwork input_order=[1, 1, 2]",
     lambda: AutoregressiveNetwork(2, input_order=[1, 1, 2]), ValueError,
     "input_order", "[1, 1, 2]"),
    ("tfp/AutoregressiveNetwork input_order=[2, 1] for event_shape=3",
     lambda: AutoregressiveNetwork(2, event_shape=3, input_order=[2, 1]), ValueError,
     "input_order", "1..3", "[2, 1]"),
    ("tfp/AutoregressiveNetwork input_order=[2, 1] built on 4 features",
     lambda: _built_made(input_order=[2, 1]), ValueError, "input_order", f"1..{E}", "[2, 1]"),
    ("tfp/AutoregressiveNetwork hidden_degrees='even'",
     lambda: AutoregressiveNetwork(2, hidden_degrees="even"), ValueError,
     "hidden_degrees", "'even'"),
    ("tfp/AutoregressiveNetwork activation='nope'",
     lambda: AutoregressiveNetwork(2, activation="nope"), ValueError, "activation", "'nope'"),
    ("tfp/AutoregressiveNetwork use_bias=1",
     lambda: AutoregressiveNetwork(2, use_bias=1), TypeError, "use_bias", "1"),
    ("tfp/AutoregressiveNetwork kernel_regularizer='nope'",
     lambda: AutoregressiveNetwork(2, kernel_regularizer="nope"), ValueError,
     "kernel_regularizer", "'nope'"),
    ("tfp/AutoregressiveNetwork bias_constraint='nope'",
     lambda: AutoregressiveNetwork(2, bias_constraint="nope"), ValueError,
     "bias_constraint", "'nope'"),
    ("tfp/AutoregressiveNetwork validate_args='no'",
     lambda: AutoregressiveNetwork(2, validate_args="no"), TypeError, "validate_args", "'no'"),
    ("tfp/AutoregressiveNetwork event_shape=3 built on 4 features",
     lambda: _built_made(event_shape=3), ValueError, "3 features", f"x.shape=(3, {E})"),
    ("tfp/AutoregressiveTransform made with params=3",
     lambda: AutoregressiveTransform(AutoregressiveNetwork(3)), ValueError,
     "made", "params=3"),
    ("tfp/AutoregressiveTransform made with conditional=True",
     lambda: AutoregressiveTransform(AutoregressiveNetwork(
         2, event_shape=2, conditional=True, conditional_event_shape=1)), ValueError,
     "made", "conditional=True"),
    ("tfp/AutoregressiveTransform made=Dense",
     lambda: AutoregressiveTransform(keras.layers.Dense(2)), ValueError, "made", "Dense"),
    ("tfp/AutoregressiveTransform inputs without a distribution",
     _transform_on_plain_tensor, ValueError, "inputs", "distribution",
     "EagerTensor"),
)


# --- Per-part variational layers (tests/test_tfp_twins_variational.py) -------

def _point_mass(dtype, shape, name, trainable, add_variable_fn):
    """A posterior factory making a point mass, not an independent Normal."""
    loc = add_variable_fn(name=name + "_loc", shape=shape, dtype=dtype)
    return tfd.Independent(tfd.Deterministic(loc), len(shape))


def _point_mass_posterior(name):
    args = (2,) if name.startswith("Dense") else (2, 3)
    shape = (1, 3) if name.startswith("Dense") else (1, 5, 5, 1)
    return lambda: getattr(L, name)(*args, kernel_posterior_fn=_point_mass)(
        np.ones(shape, "float32"))


_TWINS = rows(
    # Flipout and the local reparameterization need an independent Normal posterior.
    *[(f"tfp/{name} kernel_posterior_fn=point mass", _point_mass_posterior(name), TypeError,
       "kernel_posterior_fn", "Independent", "Deterministic")
      for name in ("DenseFlipout", "DenseLocalReparameterization", "Convolution2DFlipout")],
    # tfbsl's generic arguments, given to a twin, point to TFP's.
    *[(f"tfp/DenseFlipout {arg}=None", lambda arg=arg: L.DenseFlipout(2, **{arg: None}),
       TypeError, "DenseFlipout", arg, f"{arg}=None")
      for arg in ("make_posterior_fn", "prior", "estimator", "use_bias", "kl_use_exact",
                  "make_prior_fn")],
    # A per-part argument, given to tfbsl's generic layer, points to TFP's twins.
    ("tfp/DenseVariational kernel_posterior_fn=None",
     lambda: L.DenseVariational(2, kernel_posterior_fn=None), ValueError,
     "kernel_posterior_fn=None", "DenseFlipout"),
)

ROWS = [*_GP_AND_MISC, *_HEADS, *_MADE, *_TWINS]
