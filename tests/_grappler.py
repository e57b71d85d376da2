"""Grappler (TensorFlow's graph optimizer) in the test suite: off unless
`TFBSL_TEST_GRAPPLER=1` (see tests/conftest.py); used by the conftest and by
the suite's TensorFlow subprocesses (tests/_distribute_script.py)."""

import os


def wanted():
    """Whether the run keeps grappler on everywhere (`TFBSL_TEST_GRAPPLER`)."""
    return bool(os.environ.get("TFBSL_TEST_GRAPPLER"))


def set_grappler(on):
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": not on})
