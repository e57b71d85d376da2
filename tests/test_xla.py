"""`tfbsl._xla.materialized`: an identity that XLA computes once."""

import numpy as np
import pytest
import tensorflow as tf

from tfbsl._xla import materialized

# slow: see setup.cfg (the fast loop leaves it out); grappler: tests/conftest.py.
pytestmark = [pytest.mark.slow, pytest.mark.grappler]


def _values():
    rng = np.random.default_rng(0)
    return np.concatenate([
        rng.normal(size=1000) * 10.0 ** rng.integers(-30, 30, size=1000),
        [0.0, -0.0, 1.2e-38, -3.4e38, np.inf, -np.inf],  # XLA flushes subnormals
    ]).astype("float32")


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_materialized_is_the_identity_eager_and_compiled(dtype):
    x = tf.cast(tf.constant(_values()), dtype)
    # A seed as large as int32 goes: inf in float16, where 0 * inf is NaN.
    anchor = tf.constant([2**31 - 1, 7], tf.int32)
    compiled = tf.function(materialized, jit_compile=True)
    for out in (materialized(x, anchor), compiled(x, anchor)):
        assert out.dtype == x.dtype
        np.testing.assert_array_equal(tf.cast(out, "float32"), tf.cast(x, "float32"))
        assert np.array_equal(np.signbit(tf.cast(out, "float32")),
                              np.signbit(tf.cast(x, "float32")))


def test_materialized_passes_gradients_unchanged():
    x = tf.Variable(tf.random.stateless_normal([64], seed=[1, 2]))
    w = tf.random.stateless_normal([64], seed=[3, 4])
    anchor = tf.random.stateless_normal([5], seed=[5, 6])

    @tf.function(jit_compile=True)
    def grad():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(materialized(x * x, anchor) * w)
        return tape.gradient(loss, x)

    np.testing.assert_allclose(grad().numpy(), (2.0 * x * w).numpy(), rtol=1e-6)


def test_xla_keeps_the_division():
    # If XLA ever folds `x / (1 + 0 * anchor)` away, the noise of a train step
    # is again recomputed in each of its readers: the speed-up is gone.
    f = tf.function(lambda x, seed: materialized(tf.math.erfinv(x), seed), jit_compile=True)
    hlo = f.experimental_get_compiler_ir(tf.zeros([8]), tf.constant([1, 2]))(stage="optimized_hlo")
    assert " divide(" in hlo


_SMALL_MODELS = """
import keras, numpy as np, tfbsl
x = np.ones((64, 16), "float32"); images = np.ones((64, 6, 6, 2), "float32")
y = np.zeros((64, 1), "float32")
for estimator in ("flipout", "local_reparameterization"):
    for inputs, first in ((x, tfbsl.layers.DenseVariational(8, estimator=estimator)),
                          (images, tfbsl.layers.Conv2DVariational(1, 3, estimator=estimator))):
        model = keras.Sequential([keras.Input(inputs.shape[1:]), first, keras.layers.Flatten(),
                                  tfbsl.layers.DenseVariational(1, estimator=estimator)])
        model.compile("adam", "mse", jit_compile=True)
        model.fit(inputs, y, batch_size=32, epochs=1, verbose=0)
print("compiled")
"""


def test_one_unit_flipout_layers_compile_quickly():
    # A Flipout layer of one unit at batch 32 once drew its 32 output signs
    # from one random word; XLA fused that word's ThreeFry rounds into the
    # output loop, and LLVM's vectorizer then ran for many minutes on AVX-512
    # CPUs (AMD Zen 5). Each model here compiles in seconds when it works.
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", _SMALL_MODELS], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0 and "compiled" in done.stdout, done.stderr[-2000:]
