"""`keras.distribution.DataParallel` on two (CPU) devices: one step equals one
step on one device with the global batch; the KL term, a layer loss, is
counted once (twice would move the posterior scales by twice its gradient)."""

import os
import pathlib
import subprocess
import sys

import pytest

from tfbsl._backend import NAME

pytestmark = [pytest.mark.skipif(NAME != "jax", reason="keras.distribution is JAX's"),
              pytest.mark.slow]

_SCRIPT = pathlib.Path(__file__).with_name("_data_parallel_script.py")


@pytest.mark.parametrize("estimator", ["reparameterization", "flipout",
                                       "local_reparameterization"])
def test_two_devices_take_the_one_device_step(estimator):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               KERAS_BACKEND="jax")
    result = subprocess.run([sys.executable, str(_SCRIPT), estimator], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-5
