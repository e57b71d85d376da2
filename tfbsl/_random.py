"""Seeds for TFP samplers drawn from a `keras.random.SeedGenerator`."""

import tensorflow as tf


def tfp_seed(seed_generator):
    """Next stateless seed of `seed_generator` as TFP wants it: int32, shape [2].

    `SeedGenerator.next()` returns int64 on the TensorFlow backend; TFP's
    stateless samplers take int32 seeds. The cast works under XLA.
    """
    return tf.cast(seed_generator.next(), tf.int32)
