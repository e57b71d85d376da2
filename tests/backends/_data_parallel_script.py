"""One SGD step of a variational model on one CPU device, then under
`keras.distribution.DataParallel` on two; prints the largest weight
difference (run by test_jax_data_parallel.py with two host devices)."""

import sys

import jax
import keras
import numpy as np

import tfbsl

estimator = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3)).astype("float32")
y = x @ np.ones((3, 1), "float32")


def one_step():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((3,)),
        tfbsl.layers.DenseVariational(4, estimator=estimator, seed=1, kl_weight=1 / 64,
                                      make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(0.1)),
        keras.layers.Dense(1),
    ])
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=True)
    model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.trainable_weights]


assert len(jax.devices()) == 2, jax.devices()
single = one_step()
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
double = one_step()
print(max(float(np.max(np.abs(a - b))) for a, b in zip(single, double, strict=True)))
