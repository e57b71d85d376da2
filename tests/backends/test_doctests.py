"""Every docstring example in `tfbsl` runs as a doctest, on each backend.

One test per module of `tfbsl` (public and private): its docstrings' `>>>`
examples run with `doctest` (ELLIPSIS and NORMALIZE_WHITESPACE on), the
module's own names in scope plus `np`, `keras`, `tfbsl`, `tfp`, `tfd` and
`tfb` (the running backend's TFP, from `tfbsl._backend`). Each example starts
from `keras.utils.set_random_seed(0)` and a cleared Keras session.

This file sits in `tests/backends`, so `scripts/test.sh` runs it on TensorFlow
(with the rest of the suite) and again under `KERAS_BACKEND=jax`. On JAX the
examples of what runs on TensorFlow only (TFP's per-part layers, `WeightNorm`,
`tfbsl.distribute`, the TFP per-part factories of `tfbsl.variational.util`,
the TensorFlow seam) are skipped: their modules are
TF_ONLY_MODULES, their classes subclass `PerPartVariational`.

Doctests are collected here rather than by `pytest --doctest-modules tfbsl`
so that the README's test command (`pytest` over `tests`, then
`tests/backends` on JAX) runs them without extra options, one module per
test (pytest-xdist spreads them), skipping the TensorFlow-only ones on JAX.
"""

import doctest
import importlib
import inspect
import pkgutil

import keras
import numpy as np
import pytest

import tfbsl
from tfbsl._backend import is_tensorflow, tfb, tfd, tfp

# Modules whose every example needs TensorFlow (importing some of them on
# JAX would import TensorFlow too).
TF_ONLY_MODULES = {
    "tfbsl._backend.tensorflow",
    "tfbsl.distribute",
    "tfbsl.layers.weight_norm",
    "tfbsl.variational._per_part",
    "tfbsl.variational.util",
}


def _module_names():
    names = ["tfbsl"]
    for info in pkgutil.walk_packages(tfbsl.__path__, prefix="tfbsl."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _tensorflow_only(module, test_name):
    """Whether the object a doctest belongs to runs on TensorFlow only."""
    if module.__name__ in TF_ONLY_MODULES:
        return True
    from tfbsl.variational._per_part import PerPartVariational

    obj = module
    for part in test_name[len(module.__name__):].strip(".").split("."):
        if not part:
            continue
        obj = getattr(obj, part, None)
        if inspect.isclass(obj) and issubclass(obj, PerPartVariational):
            return True
    return False


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    if not is_tensorflow() and name in TF_ONLY_MODULES:
        pytest.skip(f"{name} runs on TensorFlow only")
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    globs = {**vars(module), "np": np, "keras": keras, "tfbsl": tfbsl, "tfp": tfp,
             "tfd": tfd, "tfb": tfb}
    tests = [t for t in finder.find(module, name, globs=globs) if t.examples]
    if not is_tensorflow():
        tests = [t for t in tests if not _tensorflow_only(module, t.name)]
    if not tests:
        pytest.skip(f"{name} has no doctests for this backend")
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in sorted(tests, key=lambda t: t.name):
        keras.utils.clear_session(free_memory=False)
        keras.utils.set_random_seed(0)
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
