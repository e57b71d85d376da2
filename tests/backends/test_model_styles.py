"""The public layers that run on every backend, in every place a Keras user
puts a layer, on TensorFlow and on JAX.

`CASES` holds one entry per family member (a new backend-independent layer
is covered by adding it); `STYLES` are the ways users hold a layer: a
Sequential without `keras.Input` (built lazily at its first call), a
functional model trained, evaluated and predicted with `jit_compile=True`, a
subclassed `keras.Model`, a user's own `keras.Layer` holding it, a custom
training loop (`GradientTape` in a `tf.function` on TensorFlow,
`stateless_call` under `jax.jit` on JAX; the first call inside it), and a
`.keras` round trip. TensorFlow-only styles (`tf.distribute`, TFP's per-part
layers) are in tests/test_conformance_suite.py.

On TensorFlow that conformance suite already runs each of these classes (or,
for `MixtureNormal`, the mixture head it stands for there: `_CONFORMANCE_TWIN`)
in the matching style (`_CONFORMANCE_STYLE`; each of its model styles ends in
a `.keras` round trip), so there this file runs only the pairs it does not
(`_covered_on_tensorflow`: none at present); the JAX pass runs every pair.
"""

import dataclasses
from collections.abc import Callable

import keras
import numpy as np
import pytest

import tfbsl
from tests.conformance import reset_seeds
from tfbsl import layers as L
from tfbsl._backend import NAME

N = 16


@keras.saving.register_keras_serializable(package="tfbsl_backend_tests")
def minus_log_prob(_, log_prob):
    """A flow's loss: minus the log-density it returns."""
    return -log_prob


@dataclasses.dataclass
class Case:
    """`make()` returns the layer; `pre()` the fixed layers before it; `loss`
    a registered Keras loss; `y(x)` the targets."""

    make: Callable[[], keras.Layer]
    input_shape: tuple
    loss: Callable = lambda: "mse"
    y: Callable = lambda x: x[:, :1].reshape(len(x), -1)[:, :1]
    pre: Callable = list


def _nll():
    return tfbsl.losses.NegativeLogLikelihood()


def _conv(cls, rank):
    return Case(lambda: cls(2, 3, padding="same", estimator="flipout", seed=1),
                (5,) * rank + (2,), y=lambda x: np.zeros((len(x),) + (5,) * rank + (2,)))


CASES = {
    **{f"DenseVariational[{e}]": Case(lambda e=e: L.DenseVariational(3, estimator=e, seed=1),
                                       (4,), y=lambda x: x[:, :3])
       for e in ("reparameterization", "flipout", "local_reparameterization")},
    "Conv1DVariational": _conv(L.Conv1DVariational, 1),
    "Conv2DVariational": _conv(L.Conv2DVariational, 2),
    "Conv3DVariational": _conv(L.Conv3DVariational, 3),
    "Conv2DTransposeVariational": _conv(L.Conv2DTransposeVariational, 2),
    "Sampling": Case(lambda: L.Sampling(seed=1), (4,),
                     pre=lambda: [keras.layers.Dense(4), L.IndependentNormal(2)],
                     y=lambda x: x[:, :2]),
    "IndependentNormal": Case(lambda: L.IndependentNormal(1), (4,), loss=_nll,
                              pre=lambda: [keras.layers.Dense(2)]),
    "OneHotCategorical": Case(lambda: L.OneHotCategorical(3), (4,), loss=_nll,
                              pre=lambda: [keras.layers.Dense(3)],
                              y=lambda x: np.eye(3)[np.arange(len(x)) % 3]),
    "MixtureNormal": Case(lambda: L.MixtureNormal(2, [1]), (4,), loss=_nll,
                          pre=lambda: [keras.layers.Dense(L.MixtureNormal.params_size(2, [1]))]),
    "NormalizingFlow": Case(
        lambda: L.NormalizingFlow([L.ActNorm(), L.MaskedAutoregressive((8,)), L.Permute(),
                                   L.SplineCoupling((8,))], seed=1),
        (2,), loss=lambda: minus_log_prob, y=lambda x: np.zeros(len(x))),
}


def _data(case):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N,) + case.input_shape).astype("float32")
    return x, np.asarray(case.y(x), "float32")


def _layers(case):
    return case.pre() + [case.make()]


def _functional(case):
    inputs = keras.Input(case.input_shape)
    outputs = inputs
    for layer in _layers(case):
        outputs = layer(outputs)
    return keras.Model(inputs, outputs)


def _fit(model, case, x, y, jit_compile):
    model.compile(keras.optimizers.Adam(1e-3), case.loss(), jit_compile=jit_compile)
    losses = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    return model


def sequential_without_input(case, x, y, tmp_path):
    model = keras.Sequential(_layers(case))
    _fit(model, case, x, y, jit_compile=False)
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


def functional_jit(case, x, y, tmp_path):
    model = _fit(_functional(case), case, x, y, jit_compile=True)
    assert np.isfinite(model.evaluate(x, y, verbose=0))
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


class _Stack:
    """Calls its layers in turn (as a user's model or layer would)."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.stack = layers

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x


class UsersModel(_Stack, keras.Model):
    pass


def subclassed(case, x, y, tmp_path):
    _fit(UsersModel(_layers(case)), case, x, y, jit_compile=True)


class UsersLayer(_Stack, keras.Layer):
    pass


def nested(case, x, y, tmp_path):
    _fit(keras.Sequential([keras.Input(case.input_shape), UsersLayer(_layers(case))]),
         case, x, y, jit_compile=True)


def custom_loop(case, x, y, tmp_path):
    model = keras.Sequential(_layers(case))  # built at its first call, inside the loop
    loss_fn = keras.losses.get(case.loss())
    optimizer = keras.optimizers.Adam(1e-2)
    losses = (_jax_loop if NAME == "jax" else _tf_loop)(model, loss_fn, optimizer, x, y)
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses


def _total_loss(loss_fn, y, outputs, layer_losses):
    return keras.ops.mean(loss_fn(y, outputs)) + sum(layer_losses)


def _tf_loop(model, loss_fn, optimizer, x, y):
    import tensorflow as tf

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = _total_loss(loss_fn, y, model(x, training=True), model.losses)
        optimizer.apply(tape.gradient(loss, model.trainable_variables),
                        model.trainable_variables)
        return loss

    return [float(step(x, y)) for _ in range(20)]


def _jax_loop(model, loss_fn, optimizer, x, y):
    import jax

    model(x[:1])  # JAX needs the variables before a stateless step
    optimizer.build(model.trainable_variables)

    def loss_and_updates(trainable, non_trainable, x, y):
        outputs, non_trainable, layer_losses = model.stateless_call(
            trainable, non_trainable, x, training=True, return_losses=True)
        return _total_loss(loss_fn, y, outputs, layer_losses), non_trainable

    @jax.jit
    def step(state, x, y):
        trainable, non_trainable, optimizer_state = state
        (loss, non_trainable), grads = jax.value_and_grad(loss_and_updates, has_aux=True)(
            trainable, non_trainable, x, y)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_state)

    state = ([v.value for v in model.trainable_variables],
             [v.value for v in model.non_trainable_variables],
             [v.value for v in optimizer.variables])
    losses = []
    for _ in range(20):
        loss, state = step(state, x, y)
        losses.append(float(loss))
    return losses


def round_trip(case, x, y, tmp_path):
    model = _fit(_functional(case), case, x, y, jit_compile=True)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    reset_seeds(model)
    reset_seeds(loaded)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(loaded(x)), rtol=1e-5, atol=1e-5)


STYLES = [sequential_without_input, functional_jit, subclassed, nested, custom_loop,
          round_trip]

# The style of tests/test_conformance_suite.py that covers each style here on
# TensorFlow: it builds lazily, fits and predicts (sequential_lazy), fits,
# predicts and round-trips jit-compiled (functional_jit), and holds the layer
# in a subclassed model, a user's layer and a `tf.function` loop.
_CONFORMANCE_STYLE = {
    "sequential_without_input": "sequential_lazy", "functional_jit": "functional_jit",
    "subclassed": "subclassed", "nested": "nested", "custom_loop": "custom_loop",
    "round_trip": "functional_jit",
}


# The conformance suite runs the mixture heads beside `MixtureSameFamily` in
# fewer styles, as differing from it in their distribution only (its
# `_FEWER_STYLES`); a mixture's default sample under XLA on TensorFlow is
# trained in tests/backends/test_heads.py (MixtureSameFamily).
_CONFORMANCE_TWIN = {"MixtureNormal": "MixtureSameFamily"}


def _covered_on_tensorflow(case, style):
    """Whether the TensorFlow conformance suite runs `case`'s class (or its
    twin there) in `style`."""
    from tests import test_conformance_suite as conformance

    layer_class = case.split("[")[0]
    layer_class = _CONFORMANCE_TWIN.get(layer_class, layer_class)
    wanted = _CONFORMANCE_STYLE[style]
    for param in conformance._params():
        name, conformance_style = param.values
        if (name.split("[")[0] == layer_class and conformance_style == wanted
                and wanted not in conformance.REGISTRY[name].skip_styles):
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES, ids=lambda style: style.__name__)
@pytest.mark.parametrize("case", list(CASES))
def test_layer_in_style(case, style, tmp_path):
    if NAME == "tensorflow" and _covered_on_tensorflow(case, style.__name__):
        layer_class = case.split("[")[0]
        pytest.skip(f"on TensorFlow, tests/test_conformance_suite.py runs "
                    f"{_CONFORMANCE_TWIN.get(layer_class, layer_class)} "
                    f"in its {_CONFORMANCE_STYLE[style.__name__]} style")
    x, y = _data(CASES[case])
    style(CASES[case], x, y, tmp_path)
