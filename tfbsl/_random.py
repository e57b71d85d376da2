"""Random draws for tfbsl's layers, from a `keras.random.SeedGenerator`.

Each backend draws by its own fastest rule (`tfbsl/_backend/tensorflow.py`,
`tfbsl/_backend/jax.py`); this module holds what does not depend on it.
`per_example=True` marks a draw that is per example (Flipout signs,
local-reparameterization noise, `Sampling`'s eps): under `tf.distribute`
each replica then draws its own.
"""

from keras import ops

from tfbsl._backend import impl, tfd

int_seed = impl.int_seed
per_example_seed = impl.per_example_seed
tfp_seed = impl.tfp_seed


def _seed(seed_generator, per_example):
    return impl.per_example_seed(seed_generator) if per_example else impl.tfp_seed(seed_generator)


def normal(shape, seed_generator, dtype="float32", per_example=False):
    """Standard Normal noise of `shape`; `per_example` as above."""
    return impl.normal(shape, _seed(seed_generator, per_example), dtype)


def rademacher(shape, seed_generator, dtype="float32", per_example=False):
    """Random signs (+1 / -1) of `shape`; `per_example` as above."""
    return impl.rademacher(shape, _seed(seed_generator, per_example), dtype)


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


def sample(distribution, seed_generator, per_example=False):
    """One draw of `distribution`; a factorised Normal draws through the fast
    sampler above, other distributions through TFP. `per_example` as in
    `normal`."""
    factorised = factorised_normal(distribution)
    if factorised is None:
        return distribution.sample(seed=_seed(seed_generator, per_example))
    loc, scale = factorised
    scale = ops.broadcast_to(scale, ops.shape(loc + scale))
    return loc + scale * normal(ops.shape(scale), seed_generator, scale.dtype, per_example)
