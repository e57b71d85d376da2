"""Under JAX's XLA, as under TensorFlow's (tests/test_xla.py), a variational
layer's noise is computed once per train step."""

import re

import keras
import numpy as np
import pytest

import tfbsl
from tfbsl._backend import NAME

pytestmark = pytest.mark.skipif(NAME != "jax", reason="JAX's compiled train step")


def _fusions_computing_erf_inv(hlo):
    """Names of the fused computations holding the inverse-CDF polynomial
    (`erf_inv`, in the ops' metadata) of `jax.random.normal`."""
    found, name = set(), None
    for line in hlo.splitlines():
        header = re.match(r"^(%?\S*computation\S*) ", line)
        if header:
            name = header.group(1)
        elif "erf_inv" in line and name is not None:
            found.add(name)
    return found


@pytest.mark.parametrize("estimator", ["reparameterization", "flipout",
                                       "local_reparameterization"])
def test_noise_is_computed_once_per_step(estimator):
    import jax

    model = keras.Sequential([
        keras.Input((64,)),
        tfbsl.layers.DenseVariational(64, estimator=estimator, seed=0),
        keras.layers.Dense(1),
    ])
    model.compile("adam", "mse", jit_compile=True)
    x, y = np.zeros((32, 64), "float32"), np.zeros((32, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    state = tuple([v.value for v in variables] for variables in (
        model.trainable_variables, model.non_trainable_variables,
        model.optimizer.variables, model.metrics_variables))
    hlo = jax.jit(model.train_step).lower(state, (x, y)).compile().as_text()
    assert len(_fusions_computing_erf_inv(hlo)) == 1
