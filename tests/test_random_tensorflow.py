"""tfbsl's raw-op draws on TensorFlow are TensorFlow's own numbers.

`tfbsl/_backend/tensorflow.py` derives the raw RNG ops' key and counter from
a seed itself (a tenth of the graph ops of `tf.random.stateless_uniform`, to
trace layers faster); these tests pin that every draw is bit-identical to
`tf.random.stateless_uniform` / `stateless_fold_in` with the same seed and
algorithm, eagerly, in a graph and under XLA, and that the seed rule keeps
seeds below 2**32 as they are.
"""

import numpy as np
import pytest
import tensorflow as tf

from tfbsl._backend import tensorflow as backend

SEEDS = [[7, 123456], [-5, 2**31 - 1], [0, 0], [-(2**31), -1]]


def _pairs(alg):
    """(tfbsl's draw, TensorFlow's draw) for each kind, one seed."""
    def draws(seed):
        ours = (
            backend._raw_draw(tf.raw_ops.StatelessRandomUniformV2, [5], seed, alg, tf.float32),
            backend._raw_draw(tf.raw_ops.StatelessRandomUniformFullIntV2, [7], seed, alg,
                              tf.int32),
            backend._fold_in(seed, 3, alg),
        )
        theirs = (
            tf.random.stateless_uniform([5], seed, dtype=tf.float32, alg=alg),
            tf.random.stateless_uniform([7], seed, minval=None, maxval=None, dtype=tf.int32,
                                        alg=alg),
            tf.random.experimental.stateless_fold_in(seed, 3, alg=alg),
        )
        return ours, theirs
    return draws


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
@pytest.mark.parametrize("alg", ["philox", "threefry"])
def test_raw_draws_equal_tensorflows(alg, mode):
    if alg == "threefry" and mode != "xla":
        pytest.skip("TensorFlow's non-XLA kernels implement Philox only")
    draws = _pairs(alg)
    if mode != "eager":
        draws = tf.function(draws, jit_compile=mode == "xla")
    for seed in SEEDS:
        ours, theirs = draws(tf.constant(seed, tf.int32))
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_int32_seed_keeps_low_seeds_and_mixes_high_bits():
    seeds = tf.constant([[11, 4], [2**32 + 11, 4], [2**40 + 11, 4], [-1, 4]], tf.int64)
    low, high, higher, minus_one = (backend.to_int32_seed(s).numpy() for s in seeds)
    np.testing.assert_array_equal(low, [11, 4])
    assert not np.array_equal(high, low) and not np.array_equal(higher, high)
    # -1 is 2**64 - 1: its high bits are mixed in too (not the plain cast [-1, 4]).
    assert not np.array_equal(minus_one, [-1, 4])
    compiled = tf.function(backend.to_int32_seed, jit_compile=True)
    for seed in seeds:
        np.testing.assert_array_equal(compiled(seed).numpy(), backend.to_int32_seed(seed).numpy())
