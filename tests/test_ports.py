"""Three public `tfp.layers` programs ported to Keras 3 + tfbsl by changing
their imports (`tests/ports`): the ports differ from the programs only in
their imports and the listed Keras 3 edits, and both copies run and give
sensible figures on tiny settings. `python -m benchmarks.ports` compares
the figures of the two at larger settings over seeds."""

import collections
import importlib.util
import math
import re

import numpy as np
import pytest

from tests import ports
from tests.ports import _common

# The originals run on tf_keras (the `bench` extra); the ports do not need it.
LIBS = [pytest.param(lib, marks=pytest.mark.skipif(
    lib == "tfp" and importlib.util.find_spec("tf_keras") is None,
    reason="the original programs need tf_keras")) for lib in ports.LIBS]


@pytest.mark.parametrize("program", ports.PROGRAMS)
def test_port_differs_from_the_program_only_in_imports_and_listed_edits(program):
    hunks, diff = ports.port_diff(program)
    unlisted = collections.Counter(hunks) - ports.declared_edits(program)
    missing = ports.declared_edits(program) - collections.Counter(hunks)
    assert not unlisted and not missing, (
        f"unlisted differences: {dict(unlisted)}\nlisted but absent: {dict(missing)}\n{diff}")


@pytest.mark.parametrize("program", ports.PROGRAMS)
def test_every_listed_edit_says_why(program):
    for original, port, count, why in ports.PORT_EDITS[program]:
        assert original != port and count >= 1 and len(why) > 20


@pytest.mark.parametrize("program", ports.PROGRAMS)
def test_each_copy_imports_only_its_own_library(program):
    # The code, without the docstrings (which name both copies).
    original, port = (re.sub(r'"""(.|\n)*?"""', "", ports.path(program, lib).read_text())
                      for lib in ports.LIBS)
    assert "tfp.layers" in original and "tfbsl" not in original
    assert "tf_keras" not in port and "tfp.layers" not in port
    assert re.search(r"^import keras\b", port, re.M)


def _regression_baseline(scale):
    """Held-out NLL of `Normal(training mean, scale)`, nats per point."""
    y, _ = _common.regression_heldout(150, seed=43)  # the notebook's training set
    y_hld, _ = _common.regression_heldout()
    return float(np.mean(0.5 * np.log(2 * np.pi * scale**2)
                         + 0.5 * ((y_hld - y.mean()) / scale) ** 2))


@pytest.mark.slow
@pytest.mark.parametrize("lib", LIBS)
def test_regression_program_trains_all_five_cases(lib):
    import keras

    figures = ports.run("regression", lib, epochs=30, draws=3, nll_draws=100)
    # Case 5 sets float64 globally; `ports.run` puts float32 back.
    assert keras.backend.floatx() == "float32"
    assert keras.config.dtype_policy().name == "float32"
    if lib == "tfp":
        import tf_keras

        assert tf_keras.backend.floatx() == "float32"
    assert sorted(figures) == [f"case{i}" for i in range(1, 6)]
    for case, figure in figures.items():
        assert all(math.isfinite(v) for v in figure.values()), (case, figure)
        assert figure["loss"] < figure["loss0"], (case, figure)
    # Epistemic uncertainty: the weight draws' mixture beats a constant N(mean, 1).
    assert figures["case3"]["nll"] < _regression_baseline(1.0) - 2.0, figures["case3"]


@pytest.mark.slow
@pytest.mark.parametrize("lib", LIBS)
def test_vae_program_beats_coin_flips(lib):
    figures = ports.run("vae", lib, epochs=2)
    assert figures["shown"] == [(10, 8, 8, 1)] * 7
    assert figures["loss"] < figures["loss0"]
    assert figures["kl"] >= 0.0
    # Held-out negative ELBO per image below 64 fair coins.
    assert figures["nelbo"] < 64 * np.log(2.0) - 5.0, figures
    assert figures["nelbo"] == pytest.approx(figures["reconstruction"] + figures["kl"])


@pytest.mark.slow
@pytest.mark.parametrize("lib", LIBS)
def test_bnn_program_beats_chance_on_held_out_digits(lib):
    figures = ports.run("bnn", lib, num_epochs=3, num_monte_carlo=3)
    assert figures["posterior_layers"] == 5
    assert 0.0 < figures["posterior_stddev"] < 0.2
    assert figures["heldout_nll"] < np.log(10.0) - 0.05, figures
    assert figures["heldout_accuracy"] > 0.25, figures
