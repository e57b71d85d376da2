"""The test suite's compiler settings, one rule each, used by tests/conftest.py
and the suite's subprocesses (tests/_distribute_script.py, the JAX
data-parallel test).

- Grappler, TensorFlow's graph optimizer: off unless `TFBSL_TEST_GRAPPLER=1`.
  It rewrites every traced function before its first run, does not change
  what tfbsl computes, and took a fifth of the conformance suite's time.
- XLA's LLVM back end at optimisation level 0 unless `TFBSL_TEST_XLA_OPT=1`:
  the same programs, compiled without LLVM's optimisation passes. XLA compiles
  every `jit_compile=True` step on TensorFlow and every step on JAX; at level 0
  the JAX pass of tests/backends took a third less time (100 -> 67 s for two
  of its files) and a jit-compiled tfbsl `fit` on TensorFlow 3.6 -> 2.4 s.
  The compile-time test of tests/test_xla.py runs at the default level
  (`without_fast_xla`); `TFBSL_TEST_XLA_OPT=1` runs the whole suite there, as
  the benchmarks and notebooks run outside it.
"""

import os

_FAST_XLA = "--xla_backend_optimization_level=0"


def grappler_wanted():
    """Whether the run keeps grappler on everywhere (`TFBSL_TEST_GRAPPLER`)."""
    return bool(os.environ.get("TFBSL_TEST_GRAPPLER"))


def set_grappler(on):
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": not on})


def xla_flags(flags=None):
    """`flags` (default: this process's `XLA_FLAGS`) with the suite's XLA
    setting added, unless `TFBSL_TEST_XLA_OPT` asks for XLA's defaults. Set
    before XLA first compiles: it reads the variable once."""
    flags = os.environ.get("XLA_FLAGS", "") if flags is None else flags
    if os.environ.get("TFBSL_TEST_XLA_OPT") or _FAST_XLA in flags:
        return flags
    return f"{flags} {_FAST_XLA}".strip()


def without_fast_xla(env):
    """`env` with the suite's XLA setting taken out of `XLA_FLAGS`: for a
    subprocess that tests what XLA's default optimisation does (LLVM's
    vectorizer: tests/test_xla.py)."""
    flags = env.get("XLA_FLAGS", "").replace(_FAST_XLA, "").strip()
    return {**env, "XLA_FLAGS": flags}
