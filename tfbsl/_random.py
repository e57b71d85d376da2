"""Random draws for tfbsl's layers, from a `keras.random.SeedGenerator`.

Draws are stateless and use the Philox generator by name. TensorFlow's
default (`alg="auto_select"`), which `keras.random.normal` and
`tfd.Normal.sample` use, measured 20-40x slower on CPU here (180 ms against
8 ms for 131k normals, with or without XLA): naming the algorithm keeps the
noise of Flipout and local reparameterization from dominating a train step.
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

_ALG = "philox"


def tfp_seed(seed_generator):
    """Next stateless seed of `seed_generator` as TFP wants it: int32, shape [2].

    `SeedGenerator.next()` returns int64 on the TensorFlow backend; TFP's
    stateless samplers take int32 seeds. The cast works under XLA.
    """
    return tf.cast(seed_generator.next(), tf.int32)


def normal(shape, seed_generator, dtype="float32"):
    """Standard Normal noise of `shape`."""
    return tf.random.stateless_normal(
        shape, seed=tfp_seed(seed_generator), dtype=dtype, alg=_ALG)


def rademacher(shape, seed_generator, dtype="float32"):
    """Random signs (+1 / -1) of `shape`."""
    bits = tf.random.stateless_uniform(
        shape, seed=tfp_seed(seed_generator), minval=0, maxval=2, dtype=tf.int32, alg=_ALG)
    return tf.cast(2 * bits - 1, dtype)


def factorised_normal(distribution):
    """(loc, scale) of a factorised Normal — `Independent(Normal)`, `Normal`
    or `MultivariateNormalDiag` — else None."""
    if isinstance(distribution, tfd.Independent):
        distribution = distribution.distribution
    if isinstance(distribution, tfd.Normal):
        return distribution.loc, distribution.scale
    if isinstance(distribution, tfd.MultivariateNormalDiag):
        return distribution.loc, distribution.stddev()
    return None


def sample(distribution, seed_generator):
    """One draw of `distribution`; a factorised Normal draws through the fast
    sampler above, other distributions through TFP."""
    factorised = factorised_normal(distribution)
    if factorised is None:
        return distribution.sample(seed=tfp_seed(seed_generator))
    loc, scale = factorised
    scale = tf.broadcast_to(scale, tf.shape(loc + scale))
    return loc + scale * normal(tf.shape(scale), seed_generator, scale.dtype)
