"""tfbsl's backend primitives on TensorFlow.

Draws are stateless and name their counter-based generator. TensorFlow's
default (`alg="auto_select"`), which `keras.random.normal` and
`tfd.Normal.sample` use, measured 20-40x slower on CPU here (180 ms against
8 ms for 131k normals, with or without XLA): naming the algorithm keeps the
noise of Flipout and local reparameterization from dominating a train step.
Inside an XLA-compiled function (`jit_compile=True`, which Keras' `"auto"`
picks on TensorFlow where the model allows it) the generator is
ThreeFry-2x32, whose 32-bit arithmetic vectorises where Philox's 64-bit
products do not (524k uniforms: 1.1 against 1.6 ms on CPU here; a 512-wide
reparameterization train step about 20% faster); elsewhere it is Philox, as
TensorFlow's non-XLA kernels implement only that one. Both are Random123
generators; a given seed draws the same numbers in every compiled run and in
every eager run, but not the same numbers in the two.

Under `tf.distribute` (e.g. `MirroredStrategy`) a layer's `SeedGenerator`
state is a mirrored variable, so every replica would draw the same noise for
its slice of the global batch. Draws that are per example (Flipout signs,
local-reparameterization noise, `Sampling`'s eps) pass `per_example=True`,
which folds the replica id into the seed; draws shared by the batch (a weight
draw) stay the same on every replica, as on one device.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from tfbsl._compat import graph_in_xla_context
from tfbsl._xla import materialized

# Fewest random words behind a draw of signs (see `rademacher`).
_MIN_WORDS = 32


def _alg():
    """ThreeFry when the graph being traced compiles with XLA, else Philox."""
    if tf.executing_eagerly():
        return "philox"
    return "threefry" if graph_in_xla_context(tf.compat.v1.get_default_graph()) else "philox"


# TensorFlow's `tf.random.Algorithm` values, as its raw RNG ops take them.
_ALG_IDS = {"philox": 1, "threefry": 2}
# 0x9E3779B9 (2**32 / the golden ratio) as a wrapped int32: Knuth's multiplicative hash.
_GOLDEN_INT32 = 0x9E3779B9 - 2**32
# The fixed key with which TensorFlow scrambles a seed into Philox's key and counter.
_PHILOX_SCRAMBLE_KEY = 0x02461E293EC8F720


def _uint64_words(words):
    """uint32 words `[w0, w1, w2, w3, ...]` as uint64 `[w0 | w1 << 32, ...]`
    (one bitcast on the little-endian machines TensorFlow runs on)."""
    return tf.bitcast(tf.reshape(tf.cast(words, tf.uint32), [-1, 2]), tf.uint64)


def _raw_draw(op, shape, seed, alg, dtype):
    """`op` (a raw stateless RNG op) of `shape` for an int32 [2] `seed`: the
    numbers `tf.random.stateless_uniform(shape, seed, ..., alg=alg)` draws.

    The key and counter are derived from the seed as TensorFlow derives them
    (`random_ops_util.get_key_counter_alg`: ThreeFry takes the seed's two
    words as its key, Philox scrambles the seed with one Philox call of a
    fixed key), but in about 12 graph ops instead of the 47 of
    `tf.random.stateless_uniform`, whose shape and argument handling made
    the seeds and draws a third of the time to trace a Flipout layer (243 ms
    against 8 ms for a `Dense`). `tests/test_random_tensorflow.py` checks that
    the draws are bit-identical in eager, graph and XLA-compiled runs.
    """
    if alg == "threefry":
        key = _uint64_words(seed)
        counter = tf.zeros([1], tf.uint64)
    else:
        mix = tf.raw_ops.StatelessRandomUniformFullIntV2(
            shape=[4], key=tf.constant([_PHILOX_SCRAMBLE_KEY], tf.uint64),
            counter=tf.cast(seed, tf.uint64), alg=_ALG_IDS["philox"], dtype=tf.uint32)
        # key: words 0-1; counter: [0, words 2-3].
        key_and_counter = _uint64_words(mix)
        key = key_and_counter[:1]
        counter = key_and_counter * tf.constant([0, 1], tf.uint64)
    shape = tf.convert_to_tensor(shape, tf.int32)
    return op(shape=shape, key=key, counter=counter, alg=_ALG_IDS[alg], dtype=dtype)


def _fold_in(seed, data, alg):
    """`tf.random.experimental.stateless_fold_in(seed, data, alg)` (int32)."""
    word = _raw_draw(tf.raw_ops.StatelessRandomUniformFullIntV2, [], seed, alg, tf.int32)
    return tf.stack([word, tf.cast(data, tf.int32)])


def tfp_seed(seed_generator):
    """Next stateless seed of `seed_generator` as TFP wants it: int32, shape [2].

    `SeedGenerator.next()` returns int64 on the TensorFlow backend; TFP's
    stateless samplers take int32 seeds (see `to_int32_seed`).
    """
    return to_int32_seed(seed_generator.next())


def int_seed(seed):
    """A Python integer seed (any that fits in int64) as TFP's int32 [2] seed,
    by the rule `SeedGenerator(seed)`'s first draw follows."""
    return to_int32_seed(tf.constant([seed, 0], tf.int64))


def to_int32_seed(seed):
    """An int64 `[seed, counter]` pair as an int32 pair, without aliasing.

    A plain cast keeps the low 32 bits, so `seed=2**32 + 11` would draw what
    `seed=11` draws. Seeds below 2**32 keep the plain cast (their draws are
    unchanged); a seed with high bits has them mixed into both words (times
    the golden-ratio constant 0x9E3779B9, then XOR), so it gets a stream of
    its own: four graph ops, where TensorFlow's `stateless_fold_in` (tfbsl
    0.1's rule, which gave such seeds other streams) took forty, at every
    draw's trace.
    """
    seed = tf.cast(seed, tf.int64)
    low = tf.cast(tf.bitwise.bitwise_and(seed, 0xFFFFFFFF), tf.int32)  # wraps: bits kept
    high = tf.cast(tf.bitwise.right_shift(seed[:1], 32), tf.int32)
    return tf.bitwise.bitwise_xor(low, high * _GOLDEN_INT32)  # int32 products wrap


def per_example_seed(seed_generator):
    """`tfp_seed(seed_generator)` with the replica id folded in when a
    `tf.distribute` strategy runs several replicas, so that replicas draw
    different noise for their examples; the same seed otherwise."""
    seed = tfp_seed(seed_generator)
    context = tf.distribute.get_replica_context()
    # None in a cross-replica context (e.g. building under `strategy.scope()`).
    if context is None or context.num_replicas_in_sync == 1:
        return seed
    return _fold_in(seed, context.replica_id_in_sync_group, _alg())


def normal(shape, seed, dtype):
    """Standard Normal noise of `shape` from a TFP seed.

    Inverse-CDF sampling, `sqrt(2) * erfinv(v)` with `v` uniform on the
    symmetric grid `(2k + 1) / 2^23 - 1`: exact up to float32 resolution
    (|z| <= 5.2, i.e. tails beyond 2e-7 probability cut), and about twice as
    fast under XLA on CPU as `tf.random.stateless_normal` (1.7 against
    3.7 ms for 262k draws): the draw is the largest single piece of a
    variational layer's per-weight work.
    """
    u = _raw_draw(tf.raw_ops.StatelessRandomUniformV2, shape, seed, _alg(), tf.float32)
    v = 2.0 * u + (2.0**-23 - 1.0)
    return tf.cast(materialized(math.sqrt(2.0) * tf.math.erfinv(v), seed), dtype)


def rademacher(shape, seed, dtype):
    """Random signs (+1 / -1) of `shape` from a TFP seed.

    One random 32-bit word gives 32 signs (a 32x smaller draw), and sign `i`
    is bit `i // words` of word `i % words`: neighbouring signs come from
    different words. There are at least `_MIN_WORDS` words, so that no two of
    the first `_MIN_WORDS` signs share one: with a single word (a Flipout
    layer of one unit at batch 32), XLA fused its twenty ThreeFry rounds into
    the consumer's loop as one loop-invariant chain, and LLVM's loop
    vectorizer then ran for minutes on AVX-512 CPUs (seen on AMD Zen 5,
    `llvm::vputils::isUniformAcrossVFsAndUFs` recursing through the chain).
    """
    shape = tf.convert_to_tensor(shape, tf.int32)
    size = tf.reduce_prod(shape)
    num_words = tf.maximum((size + 31) // 32, _MIN_WORDS)
    words = _raw_draw(tf.raw_ops.StatelessRandomUniformFullIntV2, [num_words], seed, _alg(),
                      tf.int32)
    bits = tf.bitwise.bitwise_and(tf.bitwise.right_shift(words[None, :], tf.range(32)[:, None]), 1)
    return tf.reshape(tf.cast(2 * tf.reshape(bits, [-1])[:size] - 1, dtype), shape)


def is_concrete(value):
    """Whether values are concrete here (eager), so a data check can look at `value`."""
    del value
    return tf.executing_eagerly()


def symbolic_dimension(*values):
    """None: Keras infers TensorFlow shapes with unknown dimensions, which TFP takes."""
    del values
    return None


def compiled_pass(model, read):
    """`x -> read(model(x))` as NumPy arrays, compiled with
    `tf.function(jit_compile=True)` (the Monte Carlo passes of `predict_mc`).

    No `training` argument: the layers run in inference mode but for those
    the model itself calls with `training=True` (MC dropout), which an
    explicit `training=False` would switch off."""
    step = tf.function(jit_compile=True, reduce_retracing=True)(
        lambda x: read(model(x)))
    return lambda x: tuple(t.numpy() for t in step(tf.constant(x)))


def tfp_dtype(name):
    """A dtype as TFP's distributions take it (and report it): a `tf.DType`."""
    return tf.as_dtype(name)


# What holds a value that a config saves: variables and tensors.
VARIABLE_TYPES = (tf.Variable, keras.Variable)
TENSOR_TYPES = (tf.Tensor, np.ndarray, np.generic)
# TFP's default test points of a KL regularizer: the output itself.
convert_to_tensor = tf.convert_to_tensor


def prior_variable(array, trainable, name):
    """A saved variable of a KL regularizer's prior, reloaded: a `tf.Variable`."""
    return tf.Variable(array, trainable=trainable, name=name)


# TensorFlow-only objects: the `tfp.layers`-named per-part layers, built on
# TFP's `tf.Variable` semantics, reach them after `require_tensorflow`.

init_scope = tf.init_scope
as_dtype = tf.as_dtype


class WeightRef(tf.Module):
    """A Keras weight as TFP holds a `tf.Variable`: read anew at each use.

    TFP reads a Keras variable once, when a distribution is made (it treats
    only `tf.Variable`s and `tf.Module`s with a dtype and shape as
    references); and the `tf.Variable` a Keras variable holds is a
    placeholder while Keras builds a layer symbolically (a subclassed model,
    a `Sequential` without `Input`). This reference converts to the weight's
    current value whenever TFP uses it, so gradients reach the weight.
    """

    # The layer owns the weight: `tf.Module.variables` does not look inside.
    _TF_MODULE_IGNORED_PROPERTIES = tf.Module._TF_MODULE_IGNORED_PROPERTIES | {"weight"}

    def __init__(self, weight):
        super().__init__(name=weight.name)
        self.weight = weight

    @property
    def dtype(self):
        return tf.as_dtype(self.weight.dtype)

    @property
    def shape(self):
        return tf.TensorShape(self.weight.shape)

    def __tf_tensor__(self, dtype=None, name=None):
        # The weight is not autocast (see `_add_variable`): its own dtype,
        # unless TFP asks for another.
        return tf.cast(tf.convert_to_tensor(self.weight), dtype or self.dtype, name=name)

    def numpy(self):
        return np.asarray(self.weight)
