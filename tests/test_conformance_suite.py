"""Every public layer, in every place a Keras user puts a layer.

`REGISTRY` holds the constructor arguments, input and loss of each public
name in `tfbsl.layers.__all__` (plus variants for estimators, priors and
posteriors); `STYLES` are the ways users hold a layer. Each (case, style) is
its own test, so a failure names both. A public layer missing from the
registry fails `test_registry_covers_every_public_layer`.

Styles: Sequential with and without `keras.Input`, functional, subclassed
`keras.Model`, a user's own `keras.Layer` holding it, a custom `tf.function`
training loop (first call inside the function), eager calls, `fit` /
`evaluate` / `predict` with `jit_compile` False (the model styles) and True
(`functional_jit`), a `.keras` round trip of each model style, and Keras'
`run_layer_test`. A class run in `sequential_input` and `functional_jit`
leaves out `functional`, whose graph and config those two cover
(`_COVERED_BY`).

A class's first registry entry runs every style; further entries of the same
class (other estimators, priors, posteriors) run `_VARIANT_STYLES`, those in
which a prior or an estimator has behaved differently (graphs left behind,
eager draws); each estimator and prior is fit jit-compiled in
`test_dense_variational.py`, `test_conv_variational.py` and
`test_robustness_variational.py`. Classes that differ from one run in every
style in one piece only (`_FEWER_STYLES`: the other `tfp.layers`-named
variational layers beside `DenseFlipout`, heads beside `IndependentNormal`,
mixtures beside `MixtureSameFamily`) run fewer styles. Together this keeps
the suite within the test budget (2 cores).
"""

import dataclasses
import os
from collections.abc import Callable

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.src import testing

import tfbsl
from tests._kernels import RBFKernelFn
from tests.conformance import reset_seeds
from tfbsl import layers as L

tfd = tfp.distributions
N = 8  # examples: one batch


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def neg_output(_, log_prob):
    """The flows' loss: minus the log-density the layer returns."""
    return -keras.ops.mean(log_prob)


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def normal_from_params(t):
    return tfd.Independent(tfd.Normal(t[..., :2], 1e-3 + tf.nn.softplus(t[..., 2:])), 1)


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def kl_fn(q, p, _):
    """A TFP-style divergence function."""
    return tfd.kl_divergence(q, p)


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def vgp_loss(y, rv_y):
    """TFP's tutorial loss: the VGP's negative ELBO."""
    return rv_y.variational_loss(y, kl_weight=1 / N)


@dataclasses.dataclass
class Case:
    """How to make, feed and train one layer.

    `make()` returns a fresh layer; `input_shape` excludes the batch; `pre()`
    returns fixed layers put before it (e.g. a head feeding `Sampling`);
    `loss` is a Keras loss (registered, so the model saves); `y(x)` gives
    targets; `layer_test` holds `run_layer_test`'s keyword arguments
    (`None` skips it for layers it cannot drive, with `skip_reason`);
    `skip_styles` maps a style to the reason it does not apply.
    """

    make: Callable[[], keras.Layer]
    input_shape: tuple
    loss: object = "mse"
    y: Callable | None = None
    pre: Callable[[], list] | None = None
    input_dtype: str = "float32"
    layer_test: dict | None = dataclasses.field(default_factory=dict)
    skip_reason: str = ""
    skip_styles: dict = dataclasses.field(default_factory=dict)


def _nll():
    return tfbsl.losses.NegativeLogLikelihood()


def _labels(k):
    return lambda x: np.arange(len(x)) % k


def _dense(cls, **kw):
    return Case(lambda: cls(3, seed=1, **kw), (4,))


def _conv(cls, rank, **kw):
    return Case(lambda: cls(2, 3, padding="same", seed=1, **kw), (5,) * rank + (2,))


_ESTIMATORS = ("reparameterization", "flipout", "local_reparameterization")


def _unit_normal(n):
    return tfd.Independent(tfd.Normal(tf.zeros(n), 1.0), 1)
_VGP_TRACES = ("traces the VGP's train step again (tens of seconds on 2 cores); "
               "functional_jit, custom_loop, sequential_input and run_layer_test cover fit, "
               "a first call in a tf.function and the .keras round trip")
_UNBATCHED = ("returns its variable, unbatched (TFP's semantics): `fit` needs a batch; "
              "it trains inside DenseVariational[trainable_prior] and [tutorial_fns]")

REGISTRY = {
    # Dense: the generic layer with each estimator, prior and posterior, and the TFP names.
    **{f"DenseVariational[{e}]": _dense(L.DenseVariational, estimator=e) for e in _ESTIMATORS},
    "DenseVariational[scale_mixture]": _dense(L.DenseVariational, prior="scale_mixture"),
    "DenseVariational[fan_in]": _dense(L.DenseVariational, prior=tfbsl.priors.FanInNormal(2.0)),
    "DenseVariational[trainable_prior]": _dense(L.DenseVariational, prior="trainable"),
    "DenseVariational[tutorial_fns]": Case(
        lambda: L.DenseVariational(3, tfbsl.posteriors.mean_field, tfbsl.priors.trainable,
                                   seed=1), (4,)),
    "DenseVariational[divergence_fn]": _dense(
        L.DenseVariational, estimator="flipout", kernel_divergence_fn=kl_fn,
        bias_divergence_fn=kl_fn),
    "DenseReparameterization": _dense(L.DenseReparameterization),
    "DenseFlipout": _dense(L.DenseFlipout),
    "DenseLocalReparameterization": _dense(L.DenseLocalReparameterization),
    # Conv: each rank and estimator, under both names.
    **{f"Conv1DVariational[{e}]": _conv(L.Conv1DVariational, 1, estimator=e) for e in _ESTIMATORS},
    **{f"Conv2DVariational[{e}]": _conv(L.Conv2DVariational, 2, estimator=e) for e in _ESTIMATORS},
    "Conv3DVariational": _conv(L.Conv3DVariational, 3, estimator="flipout"),
    **{f"Conv2DTransposeVariational[{e}]": _conv(L.Conv2DTransposeVariational, 2, estimator=e)
       for e in _ESTIMATORS},
    **{f"Convolution{r}D{e}": _conv(getattr(L, f"Convolution{r}D{e}"), r)
       for r in (1, 2, 3) for e in ("Reparameterization", "Flipout", "LocalReparameterization")},
    # Distribution heads.
    "IndependentNormal": Case(lambda: L.IndependentNormal(2), (4,), _nll()),
    "IndependentBernoulli": Case(lambda: L.IndependentBernoulli(2), (2,), _nll(),
                                 y=lambda x: (np.arange(2 * len(x)) % 2).reshape(-1, 2)),
    "OneHotCategorical": Case(lambda: L.OneHotCategorical(3), (3,), _nll(),
                              y=lambda x: np.eye(3)[np.arange(len(x)) % 3]),
    "Categorical": Case(lambda: L.Categorical(3), (3,), _nll(), y=_labels(3)),
    "MultivariateNormalTriL": Case(lambda: L.MultivariateNormalTriL(2), (5,), _nll()),
    "DistributionLambda": Case(lambda: L.DistributionLambda(normal_from_params), (4,), _nll()),
    "VariableLayer": Case(
        lambda: L.VariableLayer(3), (4,), y=lambda x: np.zeros(3, "float32"),
        layer_test=None, skip_reason=_UNBATCHED, skip_styles={
            style: _UNBATCHED for style in ("sequential_input", "sequential_lazy",
                                            "functional", "subclassed", "nested",
                                            "functional_jit")}),
    # The other `tfp.layers` heads (mixtures hand on their mean here: sampling
    # a mixture under XLA compiles for seconds; its draws are tested in
    # test_tfp_heads.py).
    "IndependentPoisson": Case(lambda: L.IndependentPoisson(2, seed=1), (2,), _nll(),
                               y=lambda x: (np.arange(2 * len(x)) % 3).reshape(-1, 2)),
    "IndependentLogistic": Case(lambda: L.IndependentLogistic(2, seed=1), (4,), _nll()),
    "MixtureSameFamily": Case(
        lambda: L.MixtureSameFamily(2, L.IndependentNormal(2), "mean"), (10,), _nll()),
    "MixtureNormal": Case(lambda: L.MixtureNormal(3, [2], "mean"), (15,), _nll()),
    "MixtureLogistic": Case(lambda: L.MixtureLogistic(2, convert_to_tensor_fn="mean"), (6,),
                            _nll()),
    "CategoricalMixtureOfOneHotCategorical": Case(
        lambda: L.CategoricalMixtureOfOneHotCategorical(3, 2, "mean"), (8,), _nll(),
        y=lambda x: np.eye(3)[np.arange(len(x)) % 3]),
    "KLDivergenceRegularizer": Case(
        lambda: L.IndependentNormal(2, seed=1, activity_regularizer=L.KLDivergenceRegularizer(
            _unit_normal(2), use_exact_kl=True)), (4,), _nll()),
    "KLDivergenceAddLoss": Case(
        lambda: L.KLDivergenceAddLoss(_unit_normal(2), use_exact_kl=True), (4,), _nll(),
        pre=lambda: [L.IndependentNormal(2)], layer_test=None,
        skip_reason="its input must carry a distribution (run_layer_test feeds plain "
                    "tensors); called after a head in every other style"),
    "VariationalGaussianProcess": Case(
        lambda: L.VariationalGaussianProcess(4, RBFKernelFn(), seed=1), (2,), vgp_loss,
        y=lambda x: np.sin(x[:, :1]), skip_styles={s: _VGP_TRACES for s in (
            "sequential_lazy", "subclassed", "nested", "functional")}),
    "WeightNorm": Case(lambda: L.WeightNorm(keras.layers.Dense(3)), (4,)),
    # VAE.
    "Sampling": Case(lambda: L.Sampling(seed=1), (4,), pre=lambda: [L.IndependentNormal(2)],
                     layer_test=None,
                     skip_reason="run_layer_test in test_sampling.py (pair input)"),
    # Flows: blocks map data to the base side; the flow returns log p(x).
    "MaskedAutoregressive": Case(lambda: L.MaskedAutoregressive((8,)), (3,)),
    "SplineAutoregressive": Case(lambda: L.SplineAutoregressive((8,), bins=4), (3,)),
    "AffineCoupling": Case(lambda: L.AffineCoupling((8,)), (3,)),
    "SplineCoupling": Case(lambda: L.SplineCoupling((8,), bins=4), (3,)),
    "Permute": Case(lambda: L.Permute("random", seed=2), (3,),
                    layer_test={"run_training_check": False}),
    "ActNorm": Case(lambda: L.ActNorm(), (3,)),
    "AutoregressiveNetwork": Case(lambda: L.AutoregressiveNetwork(2, hidden_units=(8,)), (3,)),
    "AutoregressiveTransform": Case(
        lambda: L.AutoregressiveTransform(
            L.AutoregressiveNetwork(2, hidden_units=(8,), activation="relu")),
        (4,), _nll(), pre=lambda: [L.IndependentNormal(2)], layer_test=None,
        skip_reason="called on a distribution tensor (run_layer_test feeds arrays); "
                    "config, .keras round trip and TFP parity in tests/test_made_tfp.py"),
    "NormalizingFlow": Case(
        lambda: L.NormalizingFlow([L.ActNorm(), L.MaskedAutoregressive((8,)), L.Permute()],
                                  seed=3),
        (3,), neg_output, y=lambda x: np.zeros(len(x), "float32")),
}


def _public_layers():
    return sorted(n for n in L.__all__ if isinstance(getattr(L, n), type)
                  and issubclass(getattr(L, n), keras.Layer))


def _case_names(public):
    return {name.split("[")[0] for name in REGISTRY} & set(public)


def test_registry_covers_every_public_layer():
    public = _public_layers()
    missing = sorted(set(public) - _case_names(public))
    assert not missing, f"public layers missing from the conformance registry: {missing}"


# --- data -------------------------------------------------------------------

def _data(case):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N,) + case.input_shape).astype(case.input_dtype)
    if case.y is not None:
        return x, np.asarray(case.y(x))
    probe = _sequential(case, with_input=True)
    out = keras.ops.convert_to_numpy(probe(x))
    return x, rng.normal(size=out.shape).astype("float32")


def _stack(case):
    return [*(case.pre() if case.pre else []), case.make()]


# --- model styles -----------------------------------------------------------

def _sequential(case, with_input):
    head = [keras.Input(case.input_shape, dtype=case.input_dtype)] if with_input else []
    return keras.Sequential(head + _stack(case))


def _functional(case):
    inputs = keras.Input(case.input_shape, dtype=case.input_dtype)
    h = inputs
    for layer in _stack(case):
        h = layer(h)
    return keras.Model(inputs, h)


class _Stack:
    """A user's class that makes its layers in `__init__`, calls them in
    `call` and saves them in its config."""

    def __init__(self, stack, **kwargs):
        super().__init__(**kwargs)
        self.stack = list(stack)

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x

    def get_config(self):
        return {**super().get_config(),
                "stack": [keras.saving.serialize_keras_object(s) for s in self.stack]}

    @classmethod
    def from_config(cls, config):
        stack = [keras.saving.deserialize_keras_object(s) for s in config.pop("stack")]
        return cls(stack, **config)


@keras.saving.register_keras_serializable(package="tfbsl_tests")
class Subclassed(_Stack, keras.Model):
    """A user's subclassed model."""


@keras.saving.register_keras_serializable(package="tfbsl_tests")
class UserBlock(_Stack, keras.Layer):
    """A user's layer holding tfbsl layers (built when the block is)."""


MODEL_STYLES = {
    "sequential_input": lambda case: _sequential(case, with_input=True),
    "sequential_lazy": lambda case: _sequential(case, with_input=False),
    "functional": _functional,
    "subclassed": lambda case: Subclassed(_stack(case)),
    "nested": lambda case: keras.Sequential([
        keras.Input(case.input_shape, dtype=case.input_dtype), UserBlock(_stack(case))]),
}


def _seeded_outputs(model, x):
    reset_seeds(model)
    return keras.ops.convert_to_numpy(model(x, training=False))


def check_model_style(case, build_model, tmp_path, jit_compile=False, evaluate=False):
    """`fit` (and `evaluate`) and `predict`, then a `.keras` round trip: the
    reloaded model gives the same outputs under the same seeds."""
    x, y = _data(case)
    model = build_model(case)
    model.compile(keras.optimizers.Adam(1e-3), loss=case.loss, jit_compile=jit_compile)
    if model.built:
        # Keras on TensorFlow otherwise makes the optimizer's variables inside
        # the first trace of its train step and so traces it twice. The
        # unbuilt styles (`sequential_lazy`, `subclassed`) keep that path:
        # their layers are built, and traced twice, inside `fit`.
        model.optimizer.build(model.trainable_variables)
    history = model.fit(x, y, epochs=1, batch_size=N, verbose=0)
    assert np.all(np.isfinite(history.history["loss"])), history.history
    if evaluate:
        assert np.isfinite(model.evaluate(x, y, verbose=0, batch_size=N))
    assert np.all(np.isfinite(model.predict(x, verbose=0, batch_size=N)))
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(_seeded_outputs(loaded, x), _seeded_outputs(model, x),
                               rtol=1e-5, atol=1e-5)


def check_custom_loop(case, _tmp_path):
    """A `tf.function` train step over a subclassed model, first call (and
    so the build) inside the function; the layer losses summed by hand."""
    x, y = _data(case)
    model = Subclassed(_stack(case))
    loss_fn = keras.losses.get(case.loss) if isinstance(case.loss, str) else case.loss
    optimizer = keras.optimizers.Adam(1e-3)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            out = model(x, training=True)
            loss = tf.reduce_mean(loss_fn(y, out)) + tf.add_n([0.0] + list(model.losses))
        variables = model.trainable_variables
        grads = tape.gradient(loss, variables)
        optimizer.apply(grads, variables)
        return loss

    losses = [float(step(x, y)) for _ in range(3)]
    assert np.all(np.isfinite(losses)), losses
    # A second function (an eval step) must not meet tensors of the first.
    out = tf.function(lambda x: model(x, training=False))(x)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(out)))


def check_eager(case, _tmp_path):
    """Plain calls on numpy data, twice; the losses are finite."""
    x, _ = _data(case)
    layers = _stack(case)
    for _ in range(2):
        h = x
        for layer in layers:
            h = layer(h)
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(h)))
    for layer in layers:
        for loss in layer.losses:
            assert np.isfinite(float(loss))


class _LayerTest(testing.TestCase):
    """Holds Keras' `run_layer_test`; not a test of its own."""

    __test__ = False

    def runTest(self):  # unittest needs a method to name
        pass


def check_run_layer_test(case, _tmp_path):
    if case.layer_test is None:
        pytest.skip(case.skip_reason)
    layer = case.make()
    x, _ = _data(case)
    expected = tuple(keras.ops.convert_to_numpy(layer(x)).shape)
    config = layer.get_config()
    init = {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")}
    kwargs = {"run_mixed_precision_check": False, "supports_masking": False,
              **case.layer_test}
    _LayerTest().run_layer_test(
        type(layer), init_kwargs=_deserialized(type(layer), init), input_data=x,
        expected_output_shape=expected, **kwargs)


def _deserialized(cls, init):
    """`init` with nested Keras objects (blocks, functions) deserialised, as
    `from_config` would."""
    rebuilt = cls.from_config(dict(init))
    return {k: getattr(rebuilt, k, v) if isinstance(v, (dict, list)) else v
            for k, v in init.items()}


def _model_style(build, **kwargs):
    return lambda case, tmp_path: check_model_style(case, build, tmp_path, **kwargs)


STYLES = {
    **{name: _model_style(build) for name, build in MODEL_STYLES.items()},
    # `evaluate` costs a trace (an XLA compile with `jit_compile`) of its own.
    "sequential_input": _model_style(MODEL_STYLES["sequential_input"], evaluate=True),
    "functional_jit": _model_style(_functional, jit_compile=True),
    "custom_loop": check_custom_loop,
    "eager": check_eager,
    "run_layer_test": check_run_layer_test,
}

_VARIANT_STYLES = ("subclassed", "custom_loop", "eager")
_TWIN_STYLES = ("functional", "eager", "run_layer_test")
# The fast loop (`pytest -m "not slow"`) runs the eager calls; the styles that
# trace a Keras step or a `tf.function` run in the full suite (CI).
_FAST_STYLES = ("eager",)


# Layers that differ from one tested in every style in one piece only run
# fewer styles: the per-part (`tfp.layers`) variational layers differ from
# `DenseFlipout` in estimator or operator; heads from `IndependentNormal` and
# mixtures from `MixtureSameFamily` in their distribution;
# `AutoregressiveTransform` compiles a flow's sampling in each traced style.
_FEWER_STYLES = {
    **{name: _VARIANT_STYLES for name in (
        "DenseReparameterization", "DenseLocalReparameterization",
        *(f"Convolution{r}D{e}" for r in (1, 2, 3)
          for e in ("Reparameterization", "Flipout", "LocalReparameterization")))},
    **{name: _TWIN_STYLES for name in (
        "IndependentPoisson", "IndependentLogistic", "MixtureNormal", "MixtureLogistic",
        "CategoricalMixtureOfOneHotCategorical")},
    "AutoregressiveTransform": ("functional",) + _VARIANT_STYLES,
}


# `functional` fits and predicts the graph `sequential_input` does (a
# Sequential with an Input calls the functional model it holds: Keras'
# `Sequential.call`), and round-trips the functional config that
# `functional_jit` round-trips; a class that runs both leaves it out.
_COVERED_BY = {"functional": ("sequential_input", "functional_jit")}


def _every_style(case):
    """`STYLES`, less each one whose covering styles `case` runs."""
    def runs(style):
        return style in STYLES and style not in case.skip_styles

    return tuple(style for style in STYLES
                 if not (style in _COVERED_BY and all(map(runs, _COVERED_BY[style]))))


def _params():
    seen = set()
    for case_name in REGISTRY:
        cls = case_name.split("[")[0]
        if cls in _FEWER_STYLES:
            styles = _FEWER_STYLES[cls]
        else:
            styles = _VARIANT_STYLES if cls in seen else _every_style(REGISTRY[case_name])
        seen.add(cls)
        for style in styles:
            marks = () if style in _FAST_STYLES else (pytest.mark.slow,)
            yield pytest.param(case_name, style, id=f"{case_name}-{style}", marks=marks)


@pytest.mark.parametrize("case_name,style", list(_params()))
def test_conformance(case_name, style, tmp_path):
    case = REGISTRY[case_name]
    if style in case.skip_styles:
        pytest.skip(case.skip_styles[style])
    STYLES[style](case, tmp_path)
