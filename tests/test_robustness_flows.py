"""Flows on bad and edge-case inputs: non-finite or empty first batches for
ActNorm, empty batches, inputs of the wrong rank or width, contexts that do
not match the build, seeds, integer and float64 inputs, numpy-int arguments.
The messages of refused arguments are in tests/bad_inputs/flows.py."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfbsl.layers import (
    ActNorm,
    AffineCoupling,
    AutoregressiveNetwork,
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineAutoregressive,
    SplineCoupling,
)

X = np.random.default_rng(0).normal(size=(8, 2)).astype("float32") * 2 + 1
C = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")

BLOCKS = {
    "maf": lambda: MaskedAutoregressive((4,)),
    "affine_coupling": lambda: AffineCoupling((4,)),
    "spline_coupling": lambda: SplineCoupling((4,), bins=3),
    "spline_autoregressive": lambda: SplineAutoregressive((4,), bins=3),
    "permute": lambda: Permute("random", seed=1),
    "actnorm": lambda: ActNorm(),
}


def _built(block, context=None):
    flow = NormalizingFlow([block])
    flow(X, context=context)
    return flow


# ActNorm's data-dependent initialisation.

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_actnorm_initialises_from_the_finite_rows_only(bad):
    x = X.copy()
    x[3, 1] = bad
    flow = NormalizingFlow([ActNorm()])
    flow(x)
    actnorm = flow.blocks[0]
    finite = np.delete(X, 3, axis=0)
    np.testing.assert_allclose(actnorm.loc, finite.mean(0), rtol=1e-5)
    np.testing.assert_allclose(actnorm.log_scale, 0.5 * np.log(finite.var(0) + 1e-6), rtol=1e-5)
    assert np.all(np.isfinite(flow.log_prob(X)))


@pytest.mark.parametrize("first", [np.zeros((0, 2), "float32"), np.full((4, 2), np.nan, "float32")],
                         ids=["empty", "all_nan"])
def test_actnorm_refuses_a_first_batch_it_cannot_initialise_from(first):
    block = ActNorm()
    with pytest.raises(ValueError, match=r"ActNorm.*finite.*inputs.shape="):
        block(first)
    assert not bool(block.initialized.numpy())
    block(X)  # the next good batch initialises it
    assert bool(block.initialized.numpy())
    np.testing.assert_allclose(block.loc, X.mean(0), rtol=1e-5)


def test_actnorm_compiled_leaves_a_bad_first_batch_uninitialised():
    # No error can be raised from inside a compiled function: it skips the batch.
    block = ActNorm()
    block.build((None, 2))
    step = tf.function(lambda x: block(x), jit_compile=True)
    step(tf.fill((4, 2), np.nan))
    assert not bool(block.initialized.numpy())
    step(tf.constant(X))
    assert bool(block.initialized.numpy())
    np.testing.assert_allclose(block.loc, X.mean(0), rtol=1e-5)


# Empty batches.

@pytest.mark.parametrize("name", list(BLOCKS))
def test_empty_batches_give_empty_outputs(name):
    flow = _built(BLOCKS[name]())
    empty = np.zeros((0, 2), "float32")
    assert flow(empty).shape == (0,)
    assert flow.log_prob(empty).shape == (0,)
    assert flow.blocks[0](empty).shape == (0, 2)
    assert flow.sample(0).shape == (0, 2)
    assert flow.sample(0, seed=3).shape == (0, 2)


def test_empty_batches_of_a_conditional_flow():
    flow = NormalizingFlow([ActNorm(), MaskedAutoregressive((4,)), AffineCoupling((4,))])
    flow(X, context=C)
    assert flow(np.zeros((0, 2), "float32"), context=np.zeros((0, 3), "float32")).shape == (0,)
    assert flow.sample(0, context=C[0]).shape == (0, 2)
    assert np.all(np.isfinite(flow.log_prob(X, C)))


# Shapes: rank and width.

@pytest.mark.parametrize("name", list(BLOCKS))
def test_one_dimensional_data_is_refused_with_the_shape_expected(name):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, features\).*"
                                         r"inputs.shape=\(100,\).*reshape\(-1, 1\)"):
        NormalizingFlow([BLOCKS[name]()])(np.zeros(100, "float32"))
    flow = _built(BLOCKS[name]())
    for call in (flow, flow.log_prob, flow.blocks[0]):
        with pytest.raises(ValueError,
                           match=r"expects inputs of shape \(batch, 2\).*inputs.shape=\(100,\)"):
            call(np.zeros(100, "float32"))
    with pytest.raises(ValueError,
                       match=r"expects inputs of shape \(batch, 2\).*inputs.shape=\(4, 3, 2\)"):
        flow(np.zeros((4, 3, 2), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, features\)"
                                         r".*inputs.shape=\(4, 3, 2\)"):
        BLOCKS[name]()(np.zeros((4, 3, 2), "float32"))


def test_other_width_than_built_is_refused_through_a_model():
    x_in = keras.Input((2,))
    flow = NormalizingFlow([MaskedAutoregressive((4,)), Permute()])
    model = keras.Model(x_in, flow(x_in))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        model(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError,
                       match=r"NormalizingFlow was built for inputs with 2 features.*\(4, 3\)"):
        flow(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError,
                       match=r"MaskedAutoregressive was built for inputs with 2 features"):
        NormalizingFlow([flow.blocks[0]])(np.zeros((4, 3), "float32"))


# Contexts.

@pytest.mark.parametrize("name", list(BLOCKS))
def test_a_context_must_match_the_build(name):
    unconditional = _built(BLOCKS[name]())
    with pytest.raises(ValueError, match=r"built without a context.*context.shape=\(8, 3\)"):
        unconditional.blocks[0](X, context=C)
    with pytest.raises(ValueError, match=r"built without a context.*context.shape=\(8, 3\)"):
        unconditional(X, context=C)
    with pytest.raises(ValueError, match=r"built without a context.*context.shape=\(3,\)"):
        unconditional.sample(5, context=C[0])
    conditional = _built(BLOCKS[name](), C)
    for call in (conditional, conditional.log_prob, conditional.blocks[0]):
        with pytest.raises(ValueError, match=r"last axis of 3.*context=None"):
            call(X)
    with pytest.raises(ValueError, match=r"last axis of 3.*context=None"):
        conditional.sample(2)
    with pytest.raises(ValueError, match=r"last axis of 3.*context.shape=\(8, 1\)"):
        conditional.blocks[0](X, context=C[:, :1])


def test_made_checks_its_inputs_and_context():
    # TFP's call: `made(x, conditional_input=...)`, conditional by construction.
    made = AutoregressiveNetwork(params=2, hidden_units=(4,))
    made(X)
    with pytest.raises(ValueError, match=r"without a context.*conditional_input.shape=\(8, 3\)"):
        made(X, conditional_input=C)
    with pytest.raises(ValueError, match=r"2 features.*x.shape=\(8, 3\)"):
        made(C)
    conditional = AutoregressiveNetwork(
        params=2, event_shape=2, conditional=True, conditional_event_shape=3, hidden_units=(4,))
    conditional(X, conditional_input=C)
    with pytest.raises(ValueError, match=r"last axis of 3.*conditional_input=None"):
        conditional(X)


def test_sample_context_rows_must_be_one_or_n():
    flow = _built(MaskedAutoregressive((4,)), C)
    assert flow.sample(8, context=C, seed=1).shape == (8, 2)
    assert flow.sample(3, context=C[:1], seed=1).shape == (3, 2)
    with pytest.raises(ValueError, match=r"`context`.*\(3, 3\).*context.shape=\(8, 3\)"):
        flow.sample(3, context=C)


# Seeds and sample sizes.

def test_every_int64_seed_draws_its_own_stream():
    flow = _built(Permute())
    draws = {seed: flow.sample(4, seed=seed).numpy()
             for seed in (0, 2**32, 2**40, -1, 2**63 - 1, 5)}
    for a in draws:
        for b in draws:
            assert (a == b) == np.array_equal(draws[a], draws[b]), (a, b)
    np.testing.assert_array_equal(flow.sample(4, seed=np.int64(2**40)), draws[2**40])
    np.testing.assert_array_equal(flow.sample(np.int64(4), seed=5), draws[5])


@pytest.mark.parametrize("seed", [0, 2**40])
def test_constructor_seeds_keep_their_64_bits(seed):
    size = 16
    x = np.zeros((1, size), "float32")
    permutations = []
    for s in (seed, np.int64(seed), 0):
        block = Permute("random", seed=s)
        block(x)
        permutations.append(block.indices.numpy())
    np.testing.assert_array_equal(permutations[0], permutations[1])
    assert np.array_equal(permutations[0], permutations[2]) == (seed == 0)


# Dtypes.

@pytest.mark.parametrize("name", list(BLOCKS))
@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_integer_and_float64_inputs_are_cast(name, dtype):
    flow = _built(BLOCKS[name](), C)
    x, c = np.round(X), np.round(C)
    expected = flow.log_prob(x.astype("float32"), c.astype("float32"))
    for given, context in [(x.astype(dtype), c.astype(dtype)),
                           (tf.constant(x.astype(dtype)), tf.constant(c.astype(dtype)))]:
        np.testing.assert_allclose(flow(given, context=context), expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(flow.log_prob(given, context), expected, rtol=1e-5, atol=1e-5)
        out = flow.blocks[0](given, context=context)
        assert out.dtype == "float32" and out.shape == (8, 2)


def test_integer_keras_input():
    x_in = keras.Input((2,), dtype="int32")
    model = keras.Model(x_in, NormalizingFlow([ActNorm(), MaskedAutoregressive((4,))])(x_in))
    out = model(np.round(X).astype("int32"))
    assert out.dtype == "float32" and out.shape == (8,) and np.all(np.isfinite(out))


# Graphs.

class Stack(keras.Model):
    def __init__(self, stack):
        super().__init__()
        self.stack = stack

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x


@pytest.mark.parametrize("name", ["actnorm", "permute"])
def test_blocks_first_called_inside_fit(name):
    # A subclassed model is first called in Keras' scratch graph, then in the
    # train step: no tensor of one may be left (e.g. in TFP's cache) for the other.
    model = Stack([BLOCKS[name](), keras.layers.Dense(1)])
    model.compile("sgd", loss="mse")
    history = model.fit(X, np.zeros((8, 1)), batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# Constructor arguments: numpy ints and single ints are accepted and saved as ints.

def test_numpy_ints_and_single_hidden_units_are_accepted():
    layers = [
        MaskedAutoregressive(np.int64(4)), AffineCoupling(4),
        SplineCoupling([np.int32(4)], bins=np.int64(3)),
        SplineAutoregressive(4, bins=np.int32(3), bound=np.float32(2.0)),
        Permute([np.int64(1), np.int64(0)]),
        Permute("random", seed=np.int64(3)), ActNorm(epsilon=np.float32(1e-5)),
        AutoregressiveNetwork(np.int64(2), hidden_units=np.int64(4)),
    ]
    assert layers[0].hidden_units == (4,) and layers[2].hidden_units == (4,)
    for layer in layers:
        json.dumps(layer.get_config())  # plain Python numbers
    flow = NormalizingFlow(layers[:-1], seed=np.int64(7))
    json.dumps(flow.get_config())
    assert flow(X).shape == (8,)
    assert flow.sample(np.int32(3)).shape == (3, 2)
