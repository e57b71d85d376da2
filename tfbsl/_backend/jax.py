"""tfbsl's backend primitives on JAX.

A `keras.random.SeedGenerator`'s draw on JAX is a `uint32[2]` key, which is
what TFP's JAX substrate takes as a seed. Keras runs a JAX model as one
program over all devices (`keras.distribution`), so a draw is global and
per-example noise differs across the batch without a replica id.
"""

import math

import jax
import jax.numpy as jnp
import keras
import numpy as np

from tfbsl._xla import materialized


def tfp_seed(seed_generator):
    """Next seed of `seed_generator`, a `uint32[2]` key as TFP's substrate takes."""
    return seed_generator.next()


def int_seed(seed):
    """A Python integer seed (any that fits in int64) as a `uint32[2]` key.

    Without 64-bit mode `jax.random.key(2**32 + 11)` is `key(11)`: the high
    word is folded in (seeds below 2**32 keep their plain key)."""
    high, low = divmod(int(seed) % 2**64, 2**32)
    key = jax.random.key(low)
    if high:
        key = jax.random.fold_in(key, high)
    return jax.random.key_data(key)


def per_example_seed(seed_generator):
    """As `tfp_seed`: a JAX program draws for the global batch."""
    return tfp_seed(seed_generator)


def normal(shape, seed, dtype):
    """Standard Normal noise of `shape` from a key, computed once per step
    (`materialized`: without it XLA on CPU put the inverse-CDF polynomial in
    both the forward and the gradient fusions of each estimator's step)."""
    noise = jax.random.normal(jax.random.wrap_key_data(seed), tuple(shape), dtype)
    return materialized(noise, seed)


# Fewest random words behind a draw of signs (as on TensorFlow).
_MIN_WORDS = 32


def rademacher(shape, seed, dtype):
    """Random signs (+1 / -1) of `shape` from a key: 32 signs per random
    32-bit word, sign `i` bit `i // words` of word `i % words`, as on
    TensorFlow (`jax.random.rademacher` draws a word per sign)."""
    shape = tuple(shape)
    key = jax.random.wrap_key_data(seed)
    if not jax.core.is_constant_shape(shape):
        # A symbolic batch size: Keras inferring an output shape, not a step.
        return jax.random.rademacher(key, shape, dtype)
    size = math.prod(shape)
    num_words = max((size + 31) // 32, _MIN_WORDS)
    words = jax.random.bits(key, (num_words,), jnp.uint32)
    bits = (words[None, :] >> jnp.arange(32, dtype=jnp.uint32)[:, None]) & 1
    return (2 * bits.reshape(-1)[:size].astype(dtype) - 1).reshape(shape)


def is_concrete(value):
    """Whether `value` is concrete (not a tracer), so a data check can look at it."""
    return not isinstance(value, jax.core.Tracer)


def symbolic_dimension(*values):
    """The first symbolic dimension in the shapes of `values` (Keras infers
    an output shape on JAX by tracing with one), else None."""
    for value in jax.tree_util.tree_leaves(values):
        for dimension in getattr(value, "shape", ()):
            if not jax.core.is_constant_dim(dimension):
                return dimension
    return None


def compiled_pass(model, read):
    """`x -> read(model(x))` as NumPy arrays: `jax.jit` of the call in a
    `keras.StatelessScope`, whose new random state (the `SeedGenerator`s', so
    that each pass draws anew) is written back to the model after each call.
    A callable that is no Keras layer runs eagerly (it has no variables to
    hand to the compiled function). No `training` argument, as on
    TensorFlow: layers the model calls with `training=True` (MC dropout)
    stay on."""
    if not isinstance(model, keras.Layer):
        return lambda x: tuple(np.asarray(t) for t in read(model(x)))

    @jax.jit
    def stateless_pass(trainable, non_trainable, x):
        mapping = [*zip(model.trainable_variables, trainable, strict=True),
                   *zip(model.non_trainable_variables, non_trainable, strict=True)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            outputs = read(model(x))
        return outputs, [scope.get_current_value(v) for v in model.non_trainable_variables]

    def step(x):
        if not model.built:  # variables are made eagerly, not inside the compiled function
            model(x[:1])
        outputs, state = stateless_pass(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables], x)
        for variable, value in zip(model.non_trainable_variables, state, strict=True):
            variable.assign(value)
        return tuple(np.asarray(t) for t in outputs)
    return step


def tfp_dtype(name):
    """A dtype as TFP's JAX substrate takes it: a NumPy dtype."""
    return np.dtype(name)


# What holds a value that a config saves: variables and tensors.
VARIABLE_TYPES = (keras.Variable,)
TENSOR_TYPES = (jax.Array, np.ndarray, np.generic)
# TFP's default test points of a KL regularizer: the output itself.
convert_to_tensor = keras.ops.convert_to_tensor


def prior_variable(array, trainable, name):
    """A saved variable of a KL regularizer's prior, reloaded: TFP's JAX
    substrate holds no variables, so its value (a constant)."""
    del trainable, name
    return array
